"""The outbox in the admin, as staff read it: what each email is and what it is about in
words, no raw JSON or token, and a pending email's address and subject said to come
when it is sent (not a bare "-")."""

import pytest
from django.test import Client

from notifications.models import OutboxEmail, OutboxStatus
from users.tests.factories import AdminFactory


@pytest.fixture
def staff(db):
    client = Client()
    client.force_login(AdminFactory())
    return client


def test_outbox_list_speaks_words(staff):
    OutboxEmail.objects.create(
        kind="reservation_confirmed", context={"reservation": 42, "resent": True}
    )
    html = staff.get("/admin/notifications/outboxemail/").content.decode()
    assert "Reservation confirmed" in html
    assert "reservation 42, re-sent" in html
    assert "when sent" in html
    assert "reservation_confirmed</td>" not in html


def test_outbox_page_has_no_json_nor_token(staff):
    email = OutboxEmail.objects.create(
        kind="reservation_cancelled",
        context={"reservation": 7},
        status=OutboxStatus.DEAD,
        recipient="ada@example.com",
        subject="Cancelled: Orbit",
        last_error="SMTP 550",
    )
    html = staff.get(f"/admin/notifications/outboxemail/{email.pk}/change/").content.decode()
    assert "Reservation cancelled" in html and "reservation 7" in html
    assert "ada@example.com" in html and "Cancelled: Orbit" in html
    assert str(email.token) not in html
    assert '{"reservation": 7}' not in html and "{&quot;reservation&quot;" not in html

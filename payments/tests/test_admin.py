"""The payments admin: a payment's page reads as what it is, read-only."""

import pytest

from payments import services
from payments.models import Method, Payment

pytestmark = pytest.mark.django_db


def test_a_payment_page_is_a_view_page_with_no_save_buttons(staff_client, admin_user, hold):
    services.payment_take_at_box_office(
        reservation_id=hold.pk, method=Method.CASH, staff=admin_user
    )
    payment = Payment.objects.get(reservation=hold)

    page = staff_client.get(f"/admin/payments/payment/{payment.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "| View payment |" in html
    assert "Change payment" not in html
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    listing = staff_client.get("/admin/payments/payment/")
    assert 'value="refund_selected"' in listing.content.decode()

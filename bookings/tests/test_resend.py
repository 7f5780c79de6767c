"""Re-sending a reservation's confirmation email: POST
/api/reservations/{id}/resend-confirmation/ and the admin's action and button, through
one service, at most once a minute per reservation."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from bookings import services
from bookings.exceptions import ConfirmationSentRecently
from bookings.models import Reservation
from bookings.tests.factories import book, seat
from notifications.delivery import deliver_due
from notifications.models import OutboxEmail
from notifications.testing import smtp_server  # noqa: F401  (a fixture)
from testsupport.testing import client_for
from tickets.models import Ticket
from users.models import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = "reservation_confirmed"


def resend_url(reservation) -> str:
    return f"/api/reservations/{reservation.pk}/resend-confirmation/"


def confirmations(reservation) -> int:
    return OutboxEmail.objects.filter(kind=KIND, context__reservation=reservation.pk).count()


def a_minute_passes() -> None:
    """Every outbox row written a minute and a second earlier, as if time had passed."""
    OutboxEmail.objects.update(created_at=timezone.now() - dt.timedelta(seconds=61))


@pytest.fixture
def cashier(db):
    return UserFactory(role=Role.CASHIER)


@pytest.fixture
def cashier_client(cashier):
    return client_for(cashier)


@pytest.fixture
def booking(customer, show):
    """Confirmed a minute ago: its first confirmation is no longer recent."""
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C1")])
    a_minute_passes()
    return reservation


def test_resend_answers_202_with_where_it_went_and_writes_the_outbox_row(
    cashier_client, booking, customer
):
    assert confirmations(booking) == 1

    response = cashier_client.post(resend_url(booking))

    assert response.status_code == 202
    assert response.json() == {
        "reservation": booking.pk,
        "to": customer.email,
        "detail": f"The confirmation of reservation {booking.pk} is on its way to "
        f"{customer.email}.",
    }
    assert confirmations(booking) == 2


def test_resent_confirmation_arrives_with_its_tickets(
    smtp_server,  # noqa: F811
    cashier_client,
    booking,
    customer,
):
    deliver_due()
    assert len(smtp_server.messages) == 1

    assert cashier_client.post(resend_url(booking)).status_code == 202
    deliver_due()

    first, again = smtp_server.messages
    assert again["To"] == customer.email
    assert again["Subject"] == first["Subject"]
    assert again["Subject"].startswith("Your tickets")
    images = [part for part in again.walk() if part.get_content_type() == "image/png"]
    codes = set(Ticket.objects.filter(reservation=booking).values_list("code", flat=True))
    assert {image.get_filename() for image in images} == {f"ticket-{code}.png" for code in codes}
    assert all(
        ticket.display_code in again.get_body(("plain",)).get_content()
        for ticket in Ticket.objects.filter(reservation=booking)
    )


def test_resend_twice_within_a_minute_is_429_then_202_after_it(cashier_client, booking):
    assert cashier_client.post(resend_url(booking)).status_code == 202

    again = cashier_client.post(resend_url(booking))

    assert again.status_code == 429
    assert again.json()["code"] == "confirmation_sent_recently"
    assert 55 <= int(again["Retry-After"]) <= 60
    assert confirmations(booking) == 2

    a_minute_passes()
    assert cashier_client.post(resend_url(booking)).status_code == 202
    assert confirmations(booking) == 3


def test_resend_right_after_the_confirmation_goes_at_once(cashier_client, customer, show):
    """At the till, right after the sale: the first confirmation does not count."""
    just_booked = book(user=customer, showtime=show, seats=[seat(show, "B2")])

    assert cashier_client.post(resend_url(just_booked)).status_code == 202
    again = cashier_client.post(resend_url(just_booked))

    assert again.status_code == 429
    assert again.json()["code"] == "confirmation_sent_recently"
    assert confirmations(just_booked) == 2


def test_resend_counts_the_minute_per_reservation(cashier_client, booking, customer, show):
    other = book(user=customer, showtime=show, seats=[seat(show, "B3")])
    a_minute_passes()
    assert cashier_client.post(resend_url(booking)).status_code == 202

    assert cashier_client.post(resend_url(other)).status_code == 202


def test_resend_service_says_the_seconds_left(booking):
    services.reservation_resend_confirmation(reservation_id=booking.pk)
    later = timezone.now() + dt.timedelta(seconds=45)

    with pytest.raises(ConfirmationSentRecently) as refused:
        services.reservation_resend_confirmation(reservation_id=booking.pk, now=later)

    assert refused.value.code == "confirmation_sent_recently"
    assert refused.value.retry_after == 15


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.CUSTOMER, 403), (Role.USHER, 403), (Role.CASHIER, 202), (Role.ADMIN, 202)],
)
def test_resend_who_may(role, expected, booking):
    response = client_for(UserFactory(role=role)).post(resend_url(booking))

    assert response.status_code == expected
    if expected == 403:
        assert response.json()["code"] == "permission_denied"
        assert confirmations(booking) == 1


def test_resend_the_owner_may_not_either(customer, booking):
    response = client_for(customer).post(resend_url(booking))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_resend_anonymous_is_401(anon_client, booking):
    assert anon_client.post(resend_url(booking)).status_code == 401


def test_resend_unknown_reservation_is_404(cashier_client):
    response = cashier_client.post("/api/reservations/999999/resend-confirmation/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_resend_of_a_hold_is_409_not_confirmed(cashier_client, customer, show):
    hold = book(user=customer, showtime=show, seats=[seat(show, "B1")], hold=True)

    response = cashier_client.post(resend_url(hold))

    assert response.status_code == 409
    assert response.json()["code"] == "not_confirmed"
    assert confirmations(hold) == 0


def test_resend_of_a_cancelled_booking_is_409_not_confirmed(cashier_client, booking, customer):
    services.reservation_cancel(reservation=booking, by=customer)

    response = cashier_client.post(resend_url(booking))

    assert response.status_code == 409
    assert response.json()["code"] == "not_confirmed"
    assert confirmations(booking) == 1


def test_resend_without_an_address_is_409_no_email(cashier_client, show):
    no_address = UserFactory(email="")
    reservation = book(user=no_address, showtime=show, seats=[seat(show, "B4")])
    a_minute_passes()

    response = cashier_client.post(resend_url(reservation))

    assert response.status_code == 409
    assert response.json()["code"] == "no_email"
    assert confirmations(reservation) == 1


def test_resend_of_a_counter_sale_goes_to_the_email_given_at_the_counter(
    smtp_server,  # noqa: F811
    cashier_client,
    cashier,
    show,
):
    sale = book(user=cashier, showtime=show, seats=[seat(show, "A3")])
    Reservation.objects.filter(pk=sale.pk).update(
        user=None, sold_by=cashier, customer_name="Wanda", customer_email="wanda@example.com"
    )
    a_minute_passes()

    response = cashier_client.post(resend_url(sale))
    deliver_due()

    assert response.status_code == 202
    assert response.json()["to"] == "wanda@example.com"
    assert [message["To"] for message in smtp_server.messages][-1] == "wanda@example.com"
    assert "Hello Wanda," in smtp_server.messages[-1].get_body(("plain",)).get_content()


# --- the admin ---------------------------------------------------------------------------
CHANGELIST = "/admin/bookings/reservation/"


def test_admin_action_resends_through_the_service(client, cashier, booking, customer):
    client.force_login(cashier)

    response = client.post(
        CHANGELIST,
        {"action": "resend_confirmation", "_selected_action": [booking.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert (
        f"Reservation {booking.pk}: the confirmation is on its way to {customer.email}."
        in response.content.decode()
    )
    assert confirmations(booking) == 2


def test_admin_action_says_when_it_is_too_soon(client, cashier, booking):
    client.force_login(cashier)
    services.reservation_resend_confirmation(reservation_id=booking.pk)

    response = client.post(
        CHANGELIST,
        {"action": "resend_confirmation", "_selected_action": [booking.pk]},
        follow=True,
    )

    assert f"Reservation {booking.pk}: not re-sent." in response.content.decode()
    assert confirmations(booking) == 2


def test_admin_page_button_resends(cashier, booking):
    # CSRF enforced, as in a browser: the button posts the page's own form and its token.
    client = Client(enforce_csrf_checks=True)
    client.force_login(cashier)
    page = client.get(f"{CHANGELIST}{booking.pk}/change/").content.decode()
    start = re.search(r'<form [^>]*id="reservation_form"', page).start()
    form = page[start : page.index("</form>", start)]
    button = f'formaction="{CHANGELIST}{booking.pk}/resend-confirmation/"'
    assert 'id="resend-confirmation"' in form and button in form
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = client.post(
        f"{CHANGELIST}{booking.pk}/resend-confirmation/",
        {"csrfmiddlewaretoken": token},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{booking.pk}/change/"
    assert "the confirmation is on its way" in response.content.decode()
    assert confirmations(booking) == 2


def test_admin_offers_no_resend_to_whom_the_role_does_not_allow(client, booking):
    # An ADMIN with the permission taken away is not possible (ADMIN may everything);
    # the USHER may not even read reservations in the admin.
    usher = UserFactory(role=Role.USHER)
    client.force_login(usher)

    assert client.get(f"{CHANGELIST}{booking.pk}/change/").status_code == 403
    response = client.post(
        CHANGELIST, {"action": "resend_confirmation", "_selected_action": [booking.pk]}
    )
    assert response.status_code == 403
    assert client.post(f"{CHANGELIST}{booking.pk}/resend-confirmation/").status_code == 403
    assert confirmations(booking) == 1


def test_admin_page_of_a_hold_has_no_resend_button(client, cashier, customer, show):
    hold = book(user=customer, showtime=show, seats=[seat(show, "B1")], hold=True)
    client.force_login(cashier)

    page = client.get(f"{CHANGELIST}{hold.pk}/change/")

    assert page.status_code == 200
    assert 'id="resend-confirmation"' not in page.content.decode()

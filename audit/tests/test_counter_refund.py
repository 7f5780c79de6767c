"""A refund at the counter: the cancel page and the refund action show the amount to hand
back (and what goes back to a card) before staff confirm; confirmed, the trail has the
cancel and the refund."""

from audit.models import Action, AuditEntry
from audit.tests.test_trail import object_of, only_entry, sale
from bookings.tests.factories import book
from payments.models import Payment, PaymentStatus


def test_admin_cancel_of_a_cash_sale_shows_the_amount_then_records_cancel_and_refund(
    cashier, cashier_admin, show
):
    sold = sale(cashier, show, "C1", "A1")  # 15.00 + 10.00
    url = f"/admin/bookings/reservation/{sold.pk}/cancel/"

    page = cashier_admin.get(url)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Hand back €25.00 to the customer" in html
    assert "(cash)" in html
    assert 'value="Yes, cancel it and hand back €25.00"' in html
    assert not AuditEntry.objects.filter(action=Action.CANCEL).exists()

    done = cashier_admin.post(url, REMOTE_ADDR="10.4.4.4", follow=True)

    # And once more after it, in the message on the reservation's page.
    assert "Hand back €25.00 to the customer (cash)." in done.content.decode()
    cancel = only_entry(action=Action.CANCEL)
    assert (cancel.actor_username, cancel.ip) == ("carla", "10.4.4.4")
    assert cancel.after == {"status": "CANCELLED", "payment_status": "refunded"}
    refund = only_entry(action=Action.REFUND)
    assert object_of(refund) == Payment.objects.get(reservation=sold)
    assert (refund.actor_username, refund.ip) == ("carla", "10.4.4.4")
    assert refund.before == {"status": "SUCCEEDED"}
    assert refund.after == {"status": "REFUNDED", "amount": "25.00", "currency": "EUR"}


def test_admin_cancel_page_of_an_unpaid_reservation_names_no_amount(boss_admin, customer, show):
    reservation = book(user=customer, showtime=show)
    html = boss_admin.get(f"/admin/bookings/reservation/{reservation.pk}/cancel/").content.decode()
    assert "Hand back" not in html
    assert 'value="Yes, cancel it"' in html


def test_admin_refund_action_asks_with_the_amount_first(cashier, cashier_admin, show):
    sold = sale(cashier, show, "B2")
    payment = Payment.objects.get(reservation=sold)
    chosen = {"action": "refund_selected", "_selected_action": [payment.pk]}

    asked = cashier_admin.post("/admin/payments/payment/", chosen)

    assert asked.status_code == 200
    assert "Hand back €10.00 to the customer" in asked.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert not AuditEntry.objects.filter(action=Action.REFUND).exists()

    done = cashier_admin.post("/admin/payments/payment/", {**chosen, "confirm": "yes"}, follow=True)

    assert f"Payment {payment.pk}: REFUNDED. Hand back €10.00." in done.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert only_entry(action=Action.REFUND).actor_username == "carla"
    assert only_entry(action=Action.CANCEL).object_id == str(sold.pk)


def test_admin_hands_back_owed_cash_with_a_refund_entry(boss, boss_api, boss_admin, show):
    # Paid in cash at the box office, then cancelled through the API: the cash is owed.
    reservation = book(showtime=show, hold=True)
    boss_api.post(f"/api/reservations/{reservation.pk}/pay/", {"method": "cash"}, format="json")
    assert boss_api.delete(f"/api/reservations/{reservation.pk}/").status_code == 200
    payment = Payment.objects.get(reservation=reservation)
    assert payment.status == PaymentStatus.REFUND_PENDING
    assert not AuditEntry.objects.filter(action=Action.REFUND).exists()
    chosen = {"action": "refund_selected", "_selected_action": [payment.pk]}
    asked = boss_admin.post("/admin/payments/payment/", chosen)
    assert "Hand back €10.00 to the customer" in asked.content.decode()

    boss_admin.post("/admin/payments/payment/", {**chosen, "confirm": "yes"})

    refund = only_entry(action=Action.REFUND)
    assert (refund.before, refund.after["status"]) == ({"status": "REFUND_PENDING"}, "REFUNDED")
    assert refund.actor_username == "boss"

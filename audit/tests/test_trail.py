"""The audit trail: each staff action, through the API and the admin, writes one entry
with who, what, on which object, from which address, before and after; a customer's own
booking and cancel write none; the trail cannot be changed or deleted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from audit.exceptions import AuditTrailAppendOnly
from audit.models import Action, AuditEntry
from bookings.models import Reservation, ReservationStatus
from bookings.tests.factories import book, seat_ids
from boxoffice.services import counter_sale_create
from cinema import services as cinema_services
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory, showtime_form
from payments.models import Payment, PaymentStatus
from testsupport.testing import client_for
from users.models import Role
from users.tests.factories import AdminFactory, UserFactory


def only_entry(**filters) -> AuditEntry:
    entries = list(AuditEntry.objects.filter(**filters))
    assert len(entries) == 1, entries
    return entries[0]


def object_of(entry: AuditEntry):
    return entry.content_type.get_object_for_this_type(pk=entry.object_id)


def sale(cashier, show, *labels) -> Reservation:
    return counter_sale_create(
        cashier=cashier, showtime_id=show.pk, seat_ids=seat_ids(show, *labels), method="cash"
    ).reservation


# --- sell, pay, cancel, refund, check in: the API --------------------------------------
def test_counter_sale_records_the_sale_and_the_payment(cashier, cashier_api, show):
    response = cashier_api.post(
        "/api/box-office/sales/",
        {"showtime": show.pk, "seats": seat_ids(show, "A1", "A2"), "method": "cash"},
        format="json",
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 201, response.content

    sold = only_entry(action=Action.SELL)
    assert (sold.actor_id, sold.actor_username, sold.ip) == (cashier.pk, "carla", "10.0.0.7")
    assert object_of(sold).pk == response.json()["id"]
    assert sold.before == {}
    assert sold.after["status"] == ReservationStatus.CONFIRMED
    assert sold.after["seats"] == sorted(seat_ids(show, "A1", "A2"))
    assert sold.after["total"] == "20.00"
    assert sold.after["method"] == "cash"
    paid = only_entry(action=Action.PAY)
    assert paid.actor_username == "carla"
    assert paid.after["amount"] == "20.00"
    assert paid.after["status"] == PaymentStatus.SUCCEEDED
    assert AuditEntry.objects.count() == 2


def test_box_office_payment_is_recorded(cashier, cashier_api, customer, show):
    hold = book(user=customer, showtime=show, hold=True)

    response = cashier_api.post(
        f"/api/reservations/{hold.pk}/pay/", {"method": "card_terminal"}, format="json"
    )

    assert response.status_code == 200, response.content
    entry = only_entry(action=Action.PAY)
    payment = Payment.objects.get(reservation=hold)
    assert object_of(entry) == payment
    assert entry.object_label == str(payment)
    assert entry.actor_id == cashier.pk
    assert entry.ip == "127.0.0.1"
    assert entry.after["method"] == "card_terminal"
    assert entry.after["reservation"] == hold.pk


def test_staff_cancel_through_the_api_is_recorded(cashier, cashier_api, show):
    sold = sale(cashier, show, "B1")
    before = AuditEntry.objects.count()  # the sale and its payment

    response = cashier_api.delete(f"/api/reservations/{sold.pk}/", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200, response.content
    # The cancel, and the cash handed back there and then (a counter sale, by its staff).
    assert AuditEntry.objects.count() == before + 2
    entry = only_entry(action=Action.CANCEL)
    assert object_of(entry) == sold
    assert (entry.actor_username, entry.ip) == ("carla", "10.1.2.3")
    assert entry.before == {"status": "CONFIRMED", "payment_status": "paid"}
    assert entry.after == {"status": "CANCELLED", "payment_status": "refunded"}
    refund = only_entry(action=Action.REFUND)
    assert (refund.actor_username, refund.ip) == ("carla", "10.1.2.3")
    assert refund.after["amount"] == "10.00"


def test_a_customer_booking_and_cancelling_their_own_writes_nothing(customer_client, show):
    booked = customer_client.post(
        "/api/reservations/", {"showtime": show.pk, "seats": seat_ids(show, "A3")}, format="json"
    )
    assert booked.status_code == 201
    cancelled = customer_client.delete(f"/api/reservations/{booked.json()['id']}/")
    assert cancelled.status_code == 200

    assert AuditEntry.objects.count() == 0


def test_check_in_is_recorded_without_the_ticket_code(usher, cashier, show):
    sold = sale(cashier, show, "A4")
    ticket = sold.tickets.get()

    response = client_for(usher).post(
        "/api/check-ins/", {"code": ticket.code}, format="json", REMOTE_ADDR="10.9.9.9"
    )

    assert response.status_code == 200, response.content
    entry = only_entry(action=Action.CHECK_IN)
    assert object_of(entry) == ticket
    assert (entry.actor_username, entry.ip) == ("ursula", "10.9.9.9")
    assert entry.before == {"status": "valid"}
    assert entry.after["status"] == "used"
    assert ticket.code not in entry.object_label
    assert ticket.display_code not in entry.object_label


# --- the client's address: NUM_PROXIES, as the throttles count it ------------------------
@pytest.mark.parametrize(
    ("num_proxies", "expected"),
    [
        (0, "10.0.0.1"),  # no proxy: the header is the client's own word, ignored
        (1, "198.51.100.9"),  # one proxy: the entry it added, not the forged one
    ],
)
def test_address_honours_num_proxies(settings, cashier, show, num_proxies, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    hold = book(showtime=show, hold=True)

    response = client_for(cashier).post(
        f"/api/reservations/{hold.pk}/pay/",
        {"method": "cash"},
        format="json",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.66, 198.51.100.9",
    )

    assert response.status_code == 200, response.content
    assert only_entry(action=Action.PAY).ip == expected


# --- the schedule, prices and roles -----------------------------------------------------
def test_schedule_changes_through_the_api_are_recorded(boss, boss_api):
    movie, hall = MovieFactory(duration_minutes=90), HallFactory()
    start = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
    created = boss_api.post(
        "/api/showtimes/",
        {"movie": movie.pk, "hall": hall.pk, "start_time": start.isoformat(), "price": "9.00"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    entry = only_entry(action=Action.SHOWTIME_CREATE)
    assert (entry.object_id, entry.actor_username) == (str(pk), "boss")
    assert entry.after["price"] == "9.00"
    assert entry.after["hall"] == hall.pk

    repriced = boss_api.patch(f"/api/showtimes/{pk}/", {"vip_price": "14.00"}, format="json")
    assert repriced.status_code == 200, repriced.content
    price = only_entry(action=Action.PRICE_CHANGE)
    assert (price.before, price.after) == ({"vip_price": "9.00"}, {"vip_price": "14.00"})
    assert not AuditEntry.objects.filter(action=Action.SHOWTIME_UPDATE).exists()

    later = start + dt.timedelta(hours=5)
    moved = boss_api.patch(
        f"/api/showtimes/{pk}/", {"start_time": later.isoformat()}, format="json"
    )
    assert moved.status_code == 200, moved.content
    move = only_entry(action=Action.SHOWTIME_UPDATE)
    assert set(move.after) == {"start_time", "end_time"}
    assert dt.datetime.fromisoformat(move.after["start_time"]) == later

    label = str(Showtime.objects.get(pk=pk))
    assert boss_api.delete(f"/api/showtimes/{pk}/").status_code == 204
    deleted = only_entry(action=Action.SHOWTIME_DELETE)
    assert (deleted.object_id, deleted.object_label) == (str(pk), label)
    assert deleted.before["price"] == "9.00"
    # The entries outlive the showtime.
    assert AuditEntry.objects.filter(object_id=str(pk)).count() == 4


def test_refused_schedule_change_writes_nothing(boss_api, customer, show):
    book(user=customer, showtime=show)
    assert boss_api.delete(f"/api/showtimes/{show.pk}/").status_code == 409
    assert AuditEntry.objects.count() == 0


def test_role_change_through_the_api_is_recorded_and_outlives_the_account(db):
    # An admin who never worked the till (a shift keeps its cashier's account).
    boss = AdminFactory(username="boss")
    boss_api = client_for(boss)
    someone = UserFactory(username="sam")

    response = boss_api.patch(f"/api/users/{someone.pk}/", {"role": "CASHIER"}, format="json")

    assert response.status_code == 200, response.content
    entry = only_entry(action=Action.ROLE_CHANGE)
    assert (entry.before, entry.after) == ({"role": "CUSTOMER"}, {"role": "CASHIER"})
    assert (entry.object_id, entry.actor_username) == (str(someone.pk), "boss")
    boss_id = boss.pk
    boss.delete()
    entry = only_entry(action=Action.ROLE_CHANGE)
    assert (entry.actor_id, entry.actor_username) == (boss_id, "boss")


def test_outside_a_request_the_system_acts(show):
    assert AuditEntry.objects.count() == 0  # the factory wrote the showtime directly

    cinema_services.showtime_update(showtime=show, price=Decimal("11.00"))

    entry = only_entry(action=Action.PRICE_CHANGE)
    assert (entry.actor_id, entry.actor_username, entry.ip) == (None, "", "")
    assert str(entry).split()[2] == "system"


# --- the admin ---------------------------------------------------------------------------


def test_a_staff_account_added_in_the_admin_is_a_role_given(boss, boss_admin):
    form = {
        "username": "newcashier",
        "email": "newcashier@example.com",
        "role": "CASHIER",
        "password1": "Correct-Horse-42",
        "password2": "Correct-Horse-42",
    }

    response = boss_admin.post("/admin/users/user/add/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = only_entry(action=Action.ROLE_CHANGE)
    assert (entry.before, entry.after) == ({"role": None}, {"role": "CASHIER"})
    assert (entry.actor_username, entry.object_label) == ("boss", "newcashier")


def test_admin_role_change_is_recorded(boss, boss_admin):
    someone = UserFactory(username="sam")
    form = {
        "username": "sam",
        "role": "USHER",
        "is_active": "on",
        "first_name": "",
        "last_name": "",
        "email": someone.email,
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00",
    }

    response = boss_admin.post(f"/admin/users/user/{someone.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = only_entry(action=Action.ROLE_CHANGE)
    assert (entry.before, entry.after) == ({"role": "CUSTOMER"}, {"role": "USHER"})
    assert entry.actor_username == "boss"


def test_admin_showtime_price_change_is_recorded(boss_admin):
    show = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(days=2))
    form = showtime_form(show.movie, show.hall, show.start_time, price="12.50")
    form["vip_price"] = "15.00"

    response = boss_admin.post(f"/admin/cinema/showtime/{show.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = only_entry(action=Action.PRICE_CHANGE)
    assert (entry.before, entry.after) == ({"price": "10.00"}, {"price": "12.50"})
    assert entry.actor_username == "boss"


def test_history_pages_show_the_trail(boss, boss_admin, cashier, usher, show):
    sold = sale(cashier, show, "A2")
    ticket = sold.tickets.get()
    client_for(usher).post("/api/check-ins/", {"code": ticket.code}, format="json")
    payment = Payment.objects.get(reservation=sold)
    someone = UserFactory()
    client_for(boss).patch(f"/api/users/{someone.pk}/", {"role": "USHER"}, format="json")
    client_for(boss).patch(f"/api/showtimes/{show.pk}/", {"price": "11.00"}, format="json")

    pages = {
        f"/admin/bookings/reservation/{sold.pk}/history/": ["reservation.sell", "carla"],
        f"/admin/payments/payment/{payment.pk}/history/": ["payment.take", "10.00"],
        f"/admin/tickets/ticket/{ticket.pk}/history/": ["ticket.check_in", "ursula"],
        f"/admin/users/user/{someone.pk}/history/": ["user.role_change", "CUSTOMER → USHER"],
        f"/admin/cinema/showtime/{show.pk}/history/": ["showtime.price_change", "10.00 → 11.00"],
    }
    for url, expected in pages.items():
        html = boss_admin.get(url).content.decode()
        assert 'id="audit-trail"' in html, url
        for text in expected:
            assert text in html, (url, text)
        assert "have a change history" not in html


# --- append-only ------------------------------------------------------------------------
def test_the_trail_cannot_be_changed_or_deleted_through_the_model(cashier, show):
    sale(cashier, show, "A1")
    entry = AuditEntry.objects.first()

    entry.ip = "1.2.3.4"
    with pytest.raises(AuditTrailAppendOnly):
        entry.save()
    with pytest.raises(AuditTrailAppendOnly):
        entry.delete()
    with pytest.raises(AuditTrailAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(ip="1.2.3.4")
    with pytest.raises(AuditTrailAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).ip == ""  # written outside a request
    assert AuditEntry.objects.count() == 2


def test_the_trail_cannot_be_changed_or_deleted_in_the_admin_even_by_a_superuser(
    boss, boss_admin, cashier, show
):
    assert boss.is_superuser
    sale(cashier, show, "A1")
    entry = AuditEntry.objects.first()
    base = "/admin/audit/auditentry/"

    page = boss_admin.get(f"{base}{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert boss_admin.post(f"{base}{entry.pk}/change/", {"ip": "6.6.6.6"}).status_code == 403
    assert boss_admin.get(f"{base}{entry.pk}/delete/").status_code == 403
    assert boss_admin.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    listing = boss_admin.get(base).content.decode()
    assert "delete_selected" not in listing
    bulk = boss_admin.post(
        base, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert bulk.status_code in {200, 302}
    assert AuditEntry.objects.count() == 2
    assert AuditEntry.objects.get(pk=entry.pk).ip == entry.ip


def test_entries_of_a_deleted_object_keep_its_label(boss_api):
    show = ShowtimeFactory()
    label = str(show)
    boss_api.delete(f"/api/showtimes/{show.pk}/")
    entry = only_entry(action=Action.SHOWTIME_DELETE)
    assert entry.object_label == label
    assert entry.content_type == ContentType.objects.get_for_model(Showtime)


def test_an_admin_cancelling_a_customers_booking_is_recorded(db, show):
    # An ADMIN cancelling a customer's booking through the API is a staff action too.
    admin = UserFactory(role=Role.ADMIN)
    reservation = book(showtime=show)
    assert client_for(admin).delete(f"/api/reservations/{reservation.pk}/").status_code == 200
    assert only_entry(action=Action.CANCEL).actor_id == admin.pk


def test_check_in_at_the_door_screen_is_recorded(usher, cashier, show):
    ticket = sale(cashier, show, "B4").tickets.get()
    door = Client()
    door.force_login(usher)

    response = door.post(f"/door/{show.pk}/scan/", {"code": ticket.code}, REMOTE_ADDR="10.5.5.5")

    assert response.status_code == 200
    entry = only_entry(action=Action.CHECK_IN)
    assert object_of(entry) == ticket
    assert (entry.actor_username, entry.ip) == ("ursula", "10.5.5.5")

"""The role matrix: every operation of /api/schema/ and every admin page, for every role,
against the status that role must get (pretix's one parametrized table of role, method,
url and status). What each role may do is users/roles.py; this table is written out by
hand so that a change there shows here as a failing cell, not a silent new right.

Writes are sent with an empty body: 400 shows that the caller got past the permission
check, 401/403 that it did not. A refusal is JSON with a code, never an empty list.
"""

import re
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from audit.models import AuditEntry
from bookings.tests.factories import book
from boxoffice.services import counter_sale_create
from cinema.models import PriceList
from cinema.services import TicketTypeSpec, price_list_create
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from notifications.models import OutboxEmail
from payments.models import WebhookEvent
from payments.services import payment_take_at_box_office
from payments.tests.factories import open_shift
from pricing.tests.factories import VoucherFactory
from testsupport.testing import client_for
from users.models import Role
from users.tests.factories import AdminFactory, CashierFactory, UserFactory, UsherFactory
from waitingroom.models import ShowtimeQueue

ROLES = ("anonymous", "CUSTOMER", "USHER", "CASHIER", "ADMIN")


def _row(method, path, body, anonymous, customer, usher, cashier, admin_):
    return (
        method,
        path,
        body,
        dict(zip(ROLES, (anonymous, customer, usher, cashier, admin_), strict=True)),
    )


# (method, path, body, then the status for: anonymous, CUSTOMER, USHER, CASHIER, ADMIN).
# {reservation} is the customer's online booking, {sale} a counter sale to a walk-in.
API_MATRIX = [
    _row("get", "/api/health/", None, 200, 200, 200, 200, 200),
    _row("get", "/api/schema/", None, 200, 200, 200, 200, 200),
    _row("get", "/api/docs/", None, 200, 200, 200, 200, 200),
    _row("get", "/api/redoc/", None, 200, 200, 200, 200, 200),
    _row("get", "/api/redoc/redoc.standalone.js", None, 200, 200, 200, 200, 200),
    _row("post", "/api/auth/register/", {}, 400, 400, 400, 400, 400),
    _row("post", "/api/signup/", {}, 400, 400, 400, 400, 400),
    _row("post", "/api/auth/login/", {}, 400, 400, 400, 400, 400),
    _row("post", "/api/login/", {}, 400, 400, 400, 400, 400),
    _row("post", "/api/auth/refresh/", {}, 400, 400, 400, 400, 400),
    _row("post", "/api/auth/logout/", {}, 401, 400, 400, 400, 400),
    _row("get", "/api/users/me/", None, 401, 200, 200, 200, 200),
    _row("patch", "/api/users/me/", {}, 401, 200, 200, 200, 200),
    # Accounts and roles: ADMIN only.
    _row("get", "/api/users/", None, 401, 403, 403, 403, 200),
    _row("get", "/api/users/{user}/", None, 401, 403, 403, 403, 200),
    _row("patch", "/api/users/{user}/", {}, 401, 403, 403, 403, 400),
    # The catalogue: anyone reads, ADMIN writes.
    _row("get", "/api/movies/", None, 200, 200, 200, 200, 200),
    _row("post", "/api/movies/", {}, 401, 403, 403, 403, 400),
    _row("get", "/api/movies/{movie}/", None, 200, 200, 200, 200, 200),
    _row("put", "/api/movies/{movie}/", {}, 401, 403, 403, 403, 400),
    _row("patch", "/api/movies/{movie}/", {}, 401, 403, 403, 403, 200),
    _row("delete", "/api/movies/{spare_movie}/", None, 401, 403, 403, 403, 204),
    _row("get", "/api/movies/{movie}/showtimes/", None, 200, 200, 200, 200, 200),
    _row("get", "/api/movies/{movie}/shows/", None, 200, 200, 200, 200, 200),
    _row("get", "/api/halls/", None, 200, 200, 200, 200, 200),
    _row("post", "/api/halls/", {}, 401, 403, 403, 403, 400),
    _row("get", "/api/halls/{hall}/", None, 200, 200, 200, 200, 200),
    _row("put", "/api/halls/{spare_hall}/", {}, 401, 403, 403, 403, 405),
    _row("patch", "/api/halls/{spare_hall}/", {}, 401, 403, 403, 403, 200),
    _row("delete", "/api/halls/{spare_hall}/", None, 401, 403, 403, 403, 204),
    _row("get", "/api/showtimes/", None, 200, 200, 200, 200, 200),
    _row("post", "/api/showtimes/", {}, 401, 403, 403, 403, 400),
    _row("get", "/api/showtimes/{showtime}/", None, 200, 200, 200, 200, 200),
    _row("put", "/api/showtimes/{spare_showtime}/", {}, 401, 403, 403, 403, 405),
    _row("patch", "/api/showtimes/{spare_showtime}/", {}, 401, 403, 403, 403, 200),
    # A showtime with reservations is protected, even from an ADMIN.
    _row("delete", "/api/showtimes/{showtime}/", None, 401, 403, 403, 403, 409),
    _row("delete", "/api/showtimes/{spare_showtime}/", None, 401, 403, 403, 403, 204),
    _row("get", "/api/showtimes/{showtime}/seats/", None, 200, 200, 200, 200, 200),
    # A showtime's waiting room: any account joins and asks (this one has none: 409; no
    # token: 400).
    _row("post", "/api/showtimes/{showtime}/queue/", {}, 401, 409, 409, 409, 409),
    _row("get", "/api/showtimes/{showtime}/queue/", None, 401, 400, 400, 400, 400),
    # Price lists: anyone reads (customers see prices), ADMIN writes; the default list
    # cannot be deleted.
    _row("get", "/api/price-lists/", None, 200, 200, 200, 200, 200),
    _row("post", "/api/price-lists/", {}, 401, 403, 403, 403, 400),
    _row("get", "/api/price-lists/{price_list}/", None, 200, 200, 200, 200, 200),
    _row("put", "/api/price-lists/{spare_price_list}/", {}, 401, 403, 403, 403, 405),
    _row("patch", "/api/price-lists/{spare_price_list}/", {}, 401, 403, 403, 403, 200),
    _row("delete", "/api/price-lists/{price_list}/", None, 401, 403, 403, 403, 409),
    _row("delete", "/api/price-lists/{spare_price_list}/", None, 401, 403, 403, 403, 204),
    # Vouchers: ADMIN only, reads too (a code is worth money).
    _row("get", "/api/vouchers/", None, 401, 403, 403, 403, 200),
    _row("post", "/api/vouchers/", {}, 401, 403, 403, 403, 400),
    _row("get", "/api/vouchers/{voucher}/", None, 401, 403, 403, 403, 200),
    _row("put", "/api/vouchers/{voucher}/", {}, 401, 403, 403, 403, 400),
    _row("patch", "/api/vouchers/{voucher}/", {}, 401, 403, 403, 403, 200),
    _row("delete", "/api/vouchers/{voucher}/", None, 401, 403, 403, 403, 204),
    _row("get", "/api/showtimes/{showtime}/seats/stream/", None, 200, 200, 200, 200, 200),
    # The cinema cancels a screening: ADMIN only (the empty body lacks its reason).
    _row("post", "/api/showtimes/{showtime}/cancel/", {}, 401, 403, 403, 403, 400),
    # A showtime's guest list: counter staff.
    _row("get", "/api/showtimes/{showtime}/reservations/", None, 401, 403, 403, 200, 200),
    # Reservations: a customer's own (an usher's own too: staff may book as customers);
    # counter staff look every booking up.
    _row("get", "/api/reservations/", None, 401, 200, 200, 200, 200),
    _row("post", "/api/reservations/", {}, 401, 400, 400, 400, 400),
    _row("get", "/api/reservations/{reservation}/", None, 401, 200, 404, 200, 200),
    # Only the holder confirms; this one is already confirmed.
    _row("post", "/api/reservations/{reservation}/confirm/", None, 401, 409, 404, 403, 403),
    # A cashier cancels counter sales, not a customer's online booking.
    _row("delete", "/api/reservations/{reservation}/", None, 401, 200, 404, 403, 200),
    _row("delete", "/api/reservations/{sale}/", None, 401, 404, 404, 200, 200),
    _row("post", "/api/shows/{showtime}/book/", {}, 401, 400, 400, 400, 400),
    _row("get", "/api/my-bookings/", None, 401, 200, 200, 200, 200),
    _row("post", "/api/bookings/{reservation}/cancel/", None, 401, 200, 404, 403, 200),
    # Revenue: ADMIN only.
    _row("get", "/api/admin/stats/", None, 401, 403, 403, 403, 200),
    _row("get", "/api/admin/exports/sales.csv", None, 401, 403, 403, 403, 200),
    _row("get", "/api/admin/exports/payments.csv", None, 401, 403, 403, 403, 200),
    _row("get", "/api/reservations/{reservation}/tickets/", None, 401, 200, 404, 200, 200),
    # Ushers look tickets up (by the code they scan).
    _row("get", "/api/tickets/{ticket}/qr.svg", None, 401, 200, 200, 200, 200),
    _row("get", "/api/tickets/{ticket}/qr.png", None, 401, 200, 200, 200, 200),
    # Printed tickets: the owner and counter staff.
    _row("get", "/api/reservations/{reservation}/tickets.pdf", None, 401, 200, 404, 200, 200),
    _row("get", "/api/reservations/{sale}/tickets.pdf", None, 401, 404, 404, 200, 200),
    # Re-sending a confirmation: counter staff, once a minute (the customer's has no
    # address: the factory's account has one; the walk-in gave none).
    _row(
        "post",
        "/api/reservations/{reservation}/resend-confirmation/",
        None,
        401,
        403,
        403,
        202,
        202,
    ),
    _row("post", "/api/reservations/{sale}/resend-confirmation/", None, 401, 403, 403, 409, 409),
    _row("post", "/api/check-ins/", {}, 401, 403, 400, 400, 400),
    # Checkout is the holder's; the box office is counter staff's; Stripe signs its
    # webhook.
    _row("post", "/api/reservations/{reservation}/checkout/", {}, 401, 400, 404, 400, 400),
    _row("post", "/api/reservations/{reservation}/pay/", {}, 401, 403, 403, 400, 400),
    _row("post", "/api/payments/stripe/webhook/", {}, 400, 400, 400, 400, 400),
    _row("get", "/api/payments/", None, 401, 200, 200, 200, 200),
    _row("get", "/api/payments/{payment}/", None, 401, 200, 404, 200, 200),
    _row("post", "/api/box-office/sales/", {}, 401, 403, 403, 400, 400),
    # The audit trail: ADMIN only.
    _row("get", "/api/audit/", None, 401, 403, 403, 403, 200),
    _row("get", "/api/admin/exports/shifts.csv", None, 401, 403, 403, 403, 200),
    # Shifts at the till: counter staff; a cashier sees and closes their own (the
    # {shift} is the cashier's, open; {admin_shift} the ADMIN's), an ADMIN any.
    _row("get", "/api/shifts/", None, 401, 403, 403, 200, 200),
    _row("post", "/api/shifts/", {}, 401, 403, 403, 400, 400),
    _row("get", "/api/shifts/{shift}/", None, 401, 403, 403, 200, 200),
    _row("get", "/api/shifts/{admin_shift}/", None, 401, 403, 403, 404, 200),
    _row("post", "/api/shifts/{shift}/close/", {}, 401, 403, 403, 400, 400),
]

# Every page of the admin, and the roles that may open it (200); any other member of
# staff gets 403, anyone else (anonymous, a customer) the login page (302). {…} names
# an object of the world below. The admin's add pages of read-only tables are 403 for
# everyone: their rows are written by services only.
EVERYONE = {Role.ADMIN, Role.CASHIER, Role.USHER}
COUNTER = {Role.ADMIN, Role.CASHIER}
ADMIN = {Role.ADMIN}
NOBODY: set = set()
ADMIN_MATRIX = [
    ("/admin/", EVERYONE),
    ("/admin/reports/", ADMIN),
    ("/admin/reports/export/sales.csv", ADMIN),
    ("/admin/reports/export/payments.csv", ADMIN),
    ("/admin/reports/export/shifts.csv", ADMIN),
    ("/admin/box-office/sell/", COUNTER),
    ("/admin/box-office/sell/{showtime}/", COUNTER),
    ("/admin/box-office/sales/{sale}/", COUNTER),
    ("/admin/box-office/sales/{sale}/tickets.pdf", COUNTER),
    # The till: opening posts from the Sell screen (a GET goes back there); the
    # cashier's own shift's close page and report.
    ("/admin/box-office/shift/open/", COUNTER, 302),
    ("/admin/box-office/shifts/{shift}/close/", COUNTER),
    ("/admin/box-office/shifts/{shift}/report/", COUNTER),
    ("/admin/users/", ADMIN),
    ("/admin/users/user/", ADMIN),
    ("/admin/users/user/add/", ADMIN),
    ("/admin/users/user/{user}/change/", ADMIN),
    ("/admin/users/user/{user}/history/", ADMIN),
    ("/admin/users/user/{user}/delete/", ADMIN),
    ("/admin/cinema/", EVERYONE),
    ("/admin/cinema/movie/", COUNTER),
    ("/admin/cinema/movie/add/", ADMIN),
    ("/admin/cinema/movie/{movie}/change/", COUNTER),
    ("/admin/cinema/movie/{movie}/history/", COUNTER),
    ("/admin/cinema/movie/{spare_movie}/delete/", ADMIN),
    ("/admin/cinema/hall/", COUNTER),
    ("/admin/cinema/hall/add/", ADMIN),
    ("/admin/cinema/hall/{hall}/change/", COUNTER),
    ("/admin/cinema/hall/{hall}/history/", COUNTER),
    ("/admin/cinema/hall/{spare_hall}/delete/", ADMIN),
    ("/admin/cinema/showtime/", EVERYONE),
    ("/admin/cinema/showtime/add/", ADMIN),
    ("/admin/cinema/showtime/{showtime}/change/", EVERYONE),
    ("/admin/cinema/showtime/{showtime}/history/", EVERYONE),
    ("/admin/cinema/showtime/{spare_showtime}/delete/", ADMIN),
    # The confirmation page of cancelling a screening (it asks for the reason).
    ("/admin/cinema/showtime/{showtime}/cancel-screening/", ADMIN),
    # Price lists (with their ticket types and prices inline): ADMIN only; the default
    # list has no delete page.
    ("/admin/cinema/pricelist/", ADMIN),
    ("/admin/cinema/pricelist/add/", ADMIN),
    ("/admin/cinema/pricelist/{price_list}/change/", ADMIN),
    ("/admin/cinema/pricelist/{price_list}/history/", ADMIN),
    ("/admin/cinema/pricelist/{price_list}/delete/", NOBODY),
    ("/admin/cinema/pricelist/{spare_price_list}/delete/", ADMIN),
    ("/admin/pricing/", ADMIN),
    ("/admin/pricing/voucher/", ADMIN),
    ("/admin/pricing/voucher/add/", ADMIN),
    ("/admin/pricing/voucher/{voucher}/change/", ADMIN),
    ("/admin/pricing/voucher/{voucher}/history/", ADMIN),
    ("/admin/pricing/voucher/{voucher}/delete/", ADMIN),
    ("/admin/bookings/", COUNTER),
    ("/admin/bookings/reservation/", COUNTER),
    ("/admin/bookings/reservation/add/", NOBODY),
    ("/admin/bookings/reservation/{reservation}/change/", COUNTER),
    ("/admin/bookings/reservation/{reservation}/history/", COUNTER),
    ("/admin/bookings/reservation/{reservation}/delete/", NOBODY),
    # The cancel page of a customer's online booking: ADMIN only; of a counter sale:
    # counter staff.
    ("/admin/bookings/reservation/{reservation}/cancel/", ADMIN),
    ("/admin/bookings/reservation/{sale}/cancel/", COUNTER),
    # The re-send button posts here; a GET goes back to the reservation's page.
    ("/admin/bookings/reservation/{reservation}/resend-confirmation/", COUNTER, 302),
    ("/admin/tickets/", EVERYONE),
    ("/admin/tickets/ticket/", EVERYONE),
    ("/admin/tickets/ticket/add/", NOBODY),
    ("/admin/tickets/ticket/{ticket_row}/change/", EVERYONE),
    ("/admin/tickets/ticket/{ticket_row}/history/", EVERYONE),
    ("/admin/tickets/ticket/{ticket_row}/delete/", NOBODY),
    ("/admin/payments/", COUNTER),
    ("/admin/payments/payment/", COUNTER),
    ("/admin/payments/payment/add/", NOBODY),
    ("/admin/payments/payment/{payment}/change/", COUNTER),
    ("/admin/payments/payment/{payment}/history/", COUNTER),
    ("/admin/payments/payment/{payment}/delete/", NOBODY),
    ("/admin/payments/shift/", COUNTER),
    ("/admin/payments/shift/add/", NOBODY),
    ("/admin/payments/shift/{shift}/change/", COUNTER),
    ("/admin/payments/shift/{shift}/history/", COUNTER),
    ("/admin/payments/shift/{shift}/delete/", NOBODY),
    ("/admin/payments/webhookevent/", ADMIN),
    ("/admin/payments/webhookevent/add/", NOBODY),
    ("/admin/payments/webhookevent/{webhook}/change/", ADMIN),
    ("/admin/payments/webhookevent/{webhook}/history/", ADMIN),
    ("/admin/payments/webhookevent/{webhook}/delete/", NOBODY),
    ("/admin/notifications/", ADMIN),
    ("/admin/notifications/outboxemail/", ADMIN),
    ("/admin/notifications/outboxemail/add/", NOBODY),
    ("/admin/notifications/outboxemail/{email}/change/", ADMIN),
    ("/admin/notifications/outboxemail/{email}/history/", ADMIN),
    ("/admin/notifications/outboxemail/{email}/delete/", NOBODY),
    # The audit trail: ADMIN reads it; nobody adds, changes or deletes an entry.
    # Waiting rooms: ADMIN watches and steers them (figures live from <id>/live/).
    ("/admin/waitingroom/", ADMIN),
    ("/admin/waitingroom/showtimequeue/", ADMIN),
    ("/admin/waitingroom/showtimequeue/add/", ADMIN),
    ("/admin/waitingroom/showtimequeue/{queue}/change/", ADMIN),
    ("/admin/waitingroom/showtimequeue/{queue}/history/", ADMIN),
    ("/admin/waitingroom/showtimequeue/{queue}/delete/", ADMIN),
    ("/admin/waitingroom/showtimequeue/{queue}/live/", ADMIN),
    ("/admin/audit/", ADMIN),
    ("/admin/audit/auditentry/", ADMIN),
    ("/admin/audit/auditentry/add/", NOBODY),
    ("/admin/audit/auditentry/{audit_entry}/change/", ADMIN),
    ("/admin/audit/auditentry/{audit_entry}/history/", ADMIN),
    ("/admin/audit/auditentry/{audit_entry}/delete/", NOBODY),
]


@pytest.fixture
def people(db):
    return {
        "anonymous": None,
        Role.CUSTOMER: UserFactory(),
        Role.USHER: UsherFactory(),
        Role.CASHIER: CashierFactory(),
        Role.ADMIN: AdminFactory(),
    }


@pytest.fixture
def world(people):
    customer, cashier = people[Role.CUSTOMER], people[Role.CASHIER]
    showtime = ShowtimeFactory(hall=HallFactory(layout={"rows": 4, "seats_per_row": 5}))
    reservation = book(user=customer, showtime=showtime, count=2)
    shift, admin_shift = open_shift(cashier), open_shift(people[Role.ADMIN])
    payment = payment_take_at_box_office(
        reservation_id=reservation.pk, method="cash", staff=people[Role.ADMIN]
    )
    last_seat = showtime.hall.seats.order_by("-position").first()
    sale = counter_sale_create(
        cashier=cashier, showtime_id=showtime.pk, seat_ids=[last_seat.pk], method="cash"
    ).reservation
    ticket = reservation.tickets.order_by("pk").first()
    return {
        "payment": payment,
        "shift": shift,
        "admin_shift": admin_shift,
        "showtime": showtime,
        "movie": showtime.movie,
        "hall": showtime.hall,
        "reservation": reservation,
        "sale": sale,
        "spare_movie": MovieFactory(),
        "spare_hall": HallFactory(),
        "spare_showtime": ShowtimeFactory(),
        "user": UserFactory(),
        # Ticket routes name the ticket by its code; the admin by its id.
        "ticket": SimpleNamespace(pk=ticket.code),
        "ticket_row": ticket,
        "webhook": WebhookEvent.objects.create(provider="stripe", event_id="evt_1", type="x"),
        "email": OutboxEmail.objects.first(),
        "audit_entry": AuditEntry.objects.first(),
        # Written directly: the matrix runs without Redis (the admin shows "Redis down").
        "queue": ShowtimeQueue.objects.create(showtime=ShowtimeFactory(), opens_at=timezone.now()),
        "price_list": PriceList.objects.get(is_default=True),
        "spare_price_list": price_list_create(
            name="Matinee", ticket_types=[TicketTypeSpec("adult", "Adult")]
        ),
        "voucher": VoucherFactory(),
    }


def _fill(path: str, world: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)].pk), path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    API_MATRIX,
    ids=[f"{row[0].upper()} {row[1]}" for row in API_MATRIX],
)
def test_role_matrix_api(people, world, role, method, path, body, expected):
    client = client_for(people[role])
    kwargs = {"format": "json"} if body is not None else {}
    response = getattr(client, method)(_fill(path, world), body, **kwargs)

    assert response.status_code == expected[role], response.content[:300]
    if expected[role] >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] if expected[role] != 400 or body is None else True
    if expected[role] == 403:
        assert response.json()["code"] in {"permission_denied", "not_owner"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("path", "allowed", "status"),
    [(*row, 200)[:3] for row in ADMIN_MATRIX],
    ids=[row[0] for row in ADMIN_MATRIX],
)
def test_role_matrix_admin(people, world, role, path, allowed, status):
    client = Client()
    if people[role] is not None:
        client.force_login(people[role])
    response = client.get(_fill(path, world))

    if role in ("anonymous", Role.CUSTOMER):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    elif role in allowed:
        assert response.status_code == status, path
    else:
        assert response.status_code == 403, path


# --- the tables cover everything --------------------------------------------------------
def _template(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def test_role_matrix_covers_every_operation_of_the_schema(admin_client):
    schema = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = {
        (method, _template(path))
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    table = {(row[0], _template(row[1])) for row in API_MATRIX}
    assert operations - table == set(), "add these operations to API_MATRIX"


def test_role_matrix_covers_every_api_route():
    routes = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, route)
            elif route.startswith("api/"):
                route = route.replace("^", "").replace("$", "")
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
                routes.add(_template("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)))

    walk(get_resolver().url_patterns, "")
    assert routes - {_template(row[1]) for row in API_MATRIX} == set()


# Staff pages outside the admin: a customer is refused (403), anonymous sent to log in.
STAFF_PAGES = [
    ("get", "/door/", EVERYONE),
    ("post", "/door/{showtime}/scan/", EVERYONE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "allowed"), STAFF_PAGES, ids=[r[1] for r in STAFF_PAGES]
)
def test_role_matrix_staff_pages(people, world, role, method, path, allowed):
    client = Client(enforce_csrf_checks=False)
    if people[role] is not None:
        client.force_login(people[role])
    body = {"code": world["ticket"].pk} if method == "post" else None
    response = getattr(client, method)(_fill(path, world), body)

    if role == "anonymous":
        assert response.status_code in {302, 401}
    elif role in allowed:
        assert response.status_code == 200, path
    else:
        assert response.status_code == 403, path


def _admin_site_pages() -> set[str]:
    """The admin site's own pages (not a model's): reports, the box office."""
    pages = set()
    for pattern in admin.site.get_urls():
        route = str(pattern.pattern)
        if getattr(pattern, "name", None) and pattern.name.startswith("marquee-"):
            pages.add("/admin/" + re.sub(r"<(?:\w+:)?\w+>", "{}", route))
    return pages


def test_role_matrix_covers_every_admin_page():
    pages = {"/admin/", *_admin_site_pages()}
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages |= {f"/admin/{model._meta.app_label}/", base, f"{base}add/"}
        pages |= {f"{base}{{}}/{view}/" for view in ("change", "history", "delete")}
        for pattern in model_admin.get_urls():
            route = str(pattern.pattern)
            if route.startswith("<path:object_id>/") and route.count("/") == 2:
                pages.add(f"{base}{{}}/{route.split('/')[1]}/")
    assert pages - {_template(row[0]) for row in ADMIN_MATRIX} == set()

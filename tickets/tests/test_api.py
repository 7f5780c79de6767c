"""The customer's tickets and QR codes, and the door: what a client sees over HTTP."""

import datetime as dt
import json
import logging
from types import SimpleNamespace

import pytest
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat
from testsupport.testing import client_for
from tickets import throttles as tickets_throttles
from tickets.codes import display
from tickets.models import Ticket, TicketStatus
from tickets.tests.conftest import showtime_starting_in
from tickets.tests.qr_decode import decode_png, decode_svg
from users.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

CHECK_INS = "/api/check-ins/"


def _codes(reservation) -> list[str]:
    return list(
        Ticket.objects.filter(reservation=reservation)
        .order_by("seat__position")
        .values_list("code", flat=True)
    )


# --- the customer's tickets -------------------------------------------------------------
def test_api_tickets_list_shows_each_seat_with_showtime(customer_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "C4"), seat(show, "A2")])

    response = customer_client.get(f"/api/reservations/{reservation.pk}/tickets/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    codes = _codes(reservation)
    assert first == {
        "code": codes[0],
        "display_code": display(codes[0]),
        "status": "valid",
        "reservation": reservation.pk,
        "seat_label": "A2",
        "seat_type": "STANDARD",
        "ticket_type": "adult",
        "ticket_type_name": "Adult",
        "showtime": show.pk,
        "movie_title": "Orbit of Ashes",
        "hall_name": show.hall.name,
        "start_time": first["start_time"],
        "checked_in_at": None,
        "qr_svg": f"http://testserver/api/tickets/{codes[0]}/qr.svg",
        "qr_png": f"http://testserver/api/tickets/{codes[0]}/qr.png",
    }
    assert dt.datetime.fromisoformat(first["start_time"]) == show.start_time
    assert (second["seat_label"], second["seat_type"]) == ("C4", "VIP")


def test_api_tickets_statuses_after_check_in_and_cancel(customer_client, customer, show):
    used = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    cancelled = book(user=customer, showtime=show, seats=[seat(show, "A2")])
    admin = client_for(AdminFactory())
    assert admin.post(CHECK_INS, {"code": _codes(used)[0]}, format="json").status_code == 200
    assert customer_client.delete(f"/api/reservations/{cancelled.pk}/").status_code == 200

    used_ticket = customer_client.get(f"/api/reservations/{used.pk}/tickets/").json()["results"]
    void_ticket = customer_client.get(f"/api/reservations/{cancelled.pk}/tickets/").json()
    assert used_ticket[0]["status"] == "used"
    assert used_ticket[0]["checked_in_at"] is not None
    assert [t["status"] for t in void_ticket["results"]] == ["void"]


def test_api_tickets_of_a_hold_are_none_yet(customer_client, customer, show):
    hold = book(user=customer, showtime=show, seats=[seat(show, "A1")], hold=True)
    body = customer_client.get(f"/api/reservations/{hold.pk}/tickets/").json()
    assert body["count"] == 0


def test_api_tickets_of_another_customer_are_404(other_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    code = _codes(reservation)[0]

    assert other_client.get(f"/api/reservations/{reservation.pk}/tickets/").status_code == 404
    for kind in ("svg", "png"):
        response = other_client.get(f"/api/tickets/{code}/qr.{kind}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_api_tickets_admin_sees_anyones(admin_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    response = admin_client.get(f"/api/reservations/{reservation.pk}/tickets/")
    assert response.json()["count"] == 1
    assert admin_client.get(f"/api/tickets/{_codes(reservation)[0]}/qr.png").status_code == 200


def test_api_tickets_list_query_budget(
    customer_client, customer, show, django_assert_max_num_queries
):
    reservation = book(
        user=customer, showtime=show, seats=[seat(show, label) for label in ("A1", "A2", "B1")]
    )
    # user, reservation exists, count, tickets with seat, movie and hall
    with django_assert_max_num_queries(4):
        response = customer_client.get(f"/api/reservations/{reservation.pk}/tickets/")
    assert response.json()["count"] == 3


def test_api_qr_codes_decode_to_the_ticket_code(customer_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "B2")])
    code = _codes(reservation)[0]

    svg = customer_client.get(f"/api/tickets/{code}/qr.svg")
    png = customer_client.get(f"/api/tickets/{display(code).lower()}/qr.png")

    assert svg.status_code == png.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert png["Content-Type"] == "image/png"
    assert svg["Cache-Control"] == "private, max-age=86400"
    assert decode_svg(svg.content) == [code]
    assert decode_png(png.content) == [code]


def test_api_qr_requests_are_logged_without_the_ticket_code(
    customer_client, customer, show, caplog
):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "B3")])
    code = _codes(reservation)[0]
    request_log = logging.getLogger("marquee.request")
    request_log.addHandler(caplog.handler)  # it does not propagate to the root
    try:
        with caplog.at_level(logging.INFO, logger="marquee.request"):
            svg = customer_client.get(f"/api/tickets/{code}/qr.svg")
            png = customer_client.get(f"/api/tickets/{display(code).lower()}/qr.png")
    finally:
        request_log.removeHandler(caplog.handler)

    assert svg.status_code == png.status_code == 200
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "marquee.request"]
    assert [line["path"] for line in lines] == [
        "/api/tickets/<code>/qr.svg",
        "/api/tickets/<code>/qr.png",
    ]
    assert not any(code[:8].lower() in r.getMessage().lower() for r in caplog.records)


def test_api_qr_errors_are_json_whatever_the_accept_header(customer_client, anon_client):
    response = customer_client.get("/api/tickets/NOPE/qr.png", HTTP_ACCEPT="image/png")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert anon_client.get("/api/tickets/NOPE/qr.svg").status_code == 401


def test_api_my_bookings_link_to_their_tickets(customer_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])

    entry = customer_client.get("/api/my-bookings/").json()["results"][0]

    assert entry["tickets_url"] == f"http://testserver/api/reservations/{reservation.pk}/tickets/"
    tickets = customer_client.get(entry["tickets_url"]).json()
    assert tickets["results"][0]["seat_label"] == "A1"


# --- the door ---------------------------------------------------------------------------
def _scan(client, code, **body):
    response = client.post(CHECK_INS, {"code": code, **body}, format="json")
    return response.status_code, response.json()


def test_api_check_in_first_scan_admits(admin_client, admin_user, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "C2")])
    code = _codes(reservation)[0]

    status, body = _scan(admin_client, display(code), showtime=show.pk)

    assert status == 200
    assert (body["code"], body["status"], body["seat_label"]) == (code, "used", "C2")
    assert (body["showtime"], body["movie_title"]) == (show.pk, "Orbit of Ashes")
    ticket = Ticket.objects.get(code=code)
    assert ticket.status == TicketStatus.USED
    assert ticket.checked_in_by == admin_user
    assert body["checked_in_at"] is not None


def test_api_check_in_second_scan_is_409_with_the_first_time(admin_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A3")])
    code = _codes(reservation)[0]
    _, first = _scan(admin_client, code)

    status, body = _scan(admin_client, code)

    assert status == 409
    assert body["code"] == "already_checked_in"
    assert body["checked_in_at"] == first["checked_in_at"]
    assert body["ticket"]["seat_label"] == "A3"
    assert body["ticket"]["showtime"] == show.pk


def test_api_check_in_void_ticket_is_409(admin_client, customer_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    customer_client.delete(f"/api/reservations/{reservation.pk}/")

    status, body = _scan(admin_client, _codes(reservation)[0])

    assert (status, body["code"]) == (409, "ticket_void")
    assert body["ticket"]["status"] == "void"
    assert Ticket.objects.get().checked_in_at is None


def test_api_check_in_wrong_showtime_is_409(admin_client, customer, show, later_show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])

    status, body = _scan(admin_client, _codes(reservation)[0], showtime=later_show.pk)

    assert (status, body["code"]) == (409, "wrong_showtime")
    assert body["scanner_showtime"] == later_show.pk
    assert body["ticket"]["showtime"] == show.pk
    assert Ticket.objects.get().status == TicketStatus.VALID


def test_api_check_in_before_the_doors_open_is_409(admin_client, customer, later_show):
    reservation = book(user=customer, showtime=later_show, seats=[seat(later_show, "A1")])

    status, body = _scan(admin_client, _codes(reservation)[0])

    assert (status, body["code"]) == (409, "too_early")
    opens = dt.datetime.fromisoformat(body["doors_open_at"])
    assert opens == later_show.start_time - dt.timedelta(minutes=30)
    assert Ticket.objects.get().status == TicketStatus.VALID


def test_api_check_in_after_the_showtime_ended_is_409(admin_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    ago = timezone.now() - dt.timedelta(hours=4)
    type(show).objects.filter(pk=show.pk).update(
        start_time=ago, end_time=ago + dt.timedelta(hours=2)
    )

    status, body = _scan(admin_client, _codes(reservation)[0])

    assert (status, body["code"]) == (409, "showtime_ended")


@pytest.mark.parametrize("code", ["K3F97QXMA2B4C6D8E9F0G1H2J3K4", "not a code", "ü" * 40])
def test_api_check_in_unknown_code_is_404(admin_client, show, code):
    status, body = _scan(admin_client, code)
    assert (status, body["code"]) == (404, "ticket_not_found")


@pytest.mark.parametrize(
    "body",
    [{}, {"code": ""}, {"code": 7}, {"code": "x" * 65}, {"code": "A", "showtime": 0}],
)
def test_api_check_in_bad_input_is_400(admin_client, body):
    response = admin_client.post(CHECK_INS, body, format="json")
    assert response.status_code == 400


def test_api_check_in_is_for_staff_only(customer_client, anon_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    code = _codes(reservation)[0]
    assert _scan(customer_client, code)[0] == 403
    assert _scan(anon_client, code)[0] == 401
    assert Ticket.objects.get().status == TicketStatus.VALID


def test_api_cancel_after_check_in_is_409_checked_in(admin_client, customer_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    _scan(admin_client, _codes(reservation)[0])

    for client, url in (
        (customer_client, f"/api/reservations/{reservation.pk}/"),
        (admin_client, f"/api/reservations/{reservation.pk}/"),
    ):
        response = client.delete(url)
        assert response.status_code == 409
        assert response.json()["code"] == "checked_in"
        assert response.json()["seats"] == [{"id": seat(show, "A1").pk, "label": "A1"}]
    response = customer_client.post(f"/api/bookings/{reservation.pk}/cancel/")
    assert (response.status_code, response.json()["code"]) == (409, "checked_in")
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED
    assert ReservationSeat.objects.get().active is True


def test_api_check_in_throttled_per_staff_user(settings, customer, show):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "check_in": "3/min",
        },
    }
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    scanner, colleague = client_for(AdminFactory()), client_for(AdminFactory())
    for _ in range(3):
        assert _scan(scanner, "K3F97QXMA2B4C6D8E9F0G1H2J3K4")[0] == 404

    response = scanner.post(CHECK_INS, {"code": _codes(reservation)[0]}, format="json")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert Ticket.objects.get().status == TicketStatus.VALID
    # Another member of staff scans on.
    assert _scan(colleague, _codes(reservation)[0])[0] == 200


def test_api_check_in_burst_of_unknown_codes_is_logged(
    settings, admin_client, admin_user, caplog, monkeypatch
):
    settings.CHECK_IN_UNKNOWN_ALERT = 5
    # All five inside one minute, whenever the test runs.
    monkeypatch.setattr(tickets_throttles, "time", SimpleNamespace(time=lambda: 60_030.0))
    with caplog.at_level("WARNING", logger="tickets.throttles"):
        for _ in range(4):
            _scan(admin_client, "K3F97QXMA2B4C6D8E9F0G1H2J3K4")
        assert not caplog.records
        _scan(admin_client, "K3F97QXMA2B4C6D8E9F0G1H2J3K4")
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "5 unknown ticket codes" in message
    assert admin_user.username in message


# --- attendance in the reports and the admin --------------------------------------------
def test_api_stats_count_checked_in_and_no_shows(admin_client, customer):
    ended, tonight = showtime_starting_in(10), showtime_starting_in(15)
    for showtime, inside in ((ended, ["A1"]), (tonight, ["A1", "A2"])):
        reservation = book(
            user=customer,
            showtime=showtime,
            seats=[seat(showtime, label) for label in ("A1", "A2", "A3")],
        )
        for label in inside:
            code = Ticket.objects.get(reservation=reservation, seat=seat(showtime, label)).code
            assert _scan(admin_client, code)[0] == 200
    # The first one played yesterday afternoon.
    yesterday = timezone.now() - dt.timedelta(days=1)
    type(ended).objects.filter(pk=ended.pk).update(
        start_time=yesterday, end_time=yesterday + dt.timedelta(hours=2)
    )

    day = timezone.localdate()
    body = admin_client.get(
        "/api/admin/stats/",
        {
            "from": (day - dt.timedelta(days=2)).isoformat(),
            "to": (day + dt.timedelta(days=1)).isoformat(),
        },
    ).json()

    rows = {row["showtime_id"]: row for row in body["per_showtime"]}
    assert (rows[ended.pk]["checked_in"], rows[ended.pk]["no_shows"]) == (1, 2)
    # Tonight's missing holder may still come: not a no-show yet.
    assert (rows[tonight.pk]["checked_in"], rows[tonight.pk]["no_shows"]) == (2, 0)
    assert (body["totals"]["checked_in"], body["totals"]["no_shows"]) == (3, 2)


def test_admin_showtime_page_shows_who_is_inside(staff_client, admin_user, customer, show):
    from tickets.services import ticket_check_in

    reservation = book(user=customer, showtime=show, seats=[seat(show, "B1"), seat(show, "B2")])
    ticket_check_in(code=_codes(reservation)[0], by=admin_user)

    page = staff_client.get(f"/admin/cinema/showtime/{show.pk}/change/").content.decode()
    listing = staff_client.get("/admin/cinema/showtime/").content.decode()

    assert "1 of 2 ticket holders checked in" in page
    assert 'data-seat="B1" data-status="booked" data-inside="true"' in page
    assert 'data-seat="B2" data-status="booked" title' in page
    assert "checked in: 1" in page
    assert 'class="field-inside_count">1<' in listing


def test_admin_ticket_page_shows_its_qr_code(staff_client, customer, show):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A4")])
    ticket = Ticket.objects.get(reservation=reservation)

    page = staff_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    found = staff_client.get("/admin/tickets/ticket/", {"q": display(ticket.code).lower()})

    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg"')
    svg = html[start : html.index("</svg>", start) + 6]
    assert decode_svg(svg.encode()) == [ticket.code]
    assert display(ticket.code) in found.content.decode()


def test_admin_cancel_action_reports_a_checked_in_reservation(
    staff_client, admin_user, customer, show
):
    from tickets.services import ticket_check_in

    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1")])
    ticket_check_in(code=_codes(reservation)[0], by=admin_user)

    response = staff_client.post(
        "/admin/bookings/reservation/",
        {"action": "cancel_selected", "_selected_action": [reservation.pk]},
        follow=True,
    )

    assert "can no longer be cancelled" in response.content.decode()
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\t"])
def test_api_check_in_takes_a_scanners_enter_or_tab_after_the_code(
    admin_client, customer, show, suffix
):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "B3")])
    code = _codes(reservation)[0]

    status, body = _scan(admin_client, display(code) + suffix, showtime=show.pk)

    assert status == 200, body
    assert body["status"] == "used"

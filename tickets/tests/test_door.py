"""The door screen's page and its scan endpoint, over HTTP with the admin's session: who
may use them, CSRF, bad input, and what each scan answers (the browser walk is
test_door_browser.py)."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from bookings import services as booking_services
from bookings.tests.factories import book, seat
from cinema.models import Showtime
from tickets.models import Ticket, TicketStatus
from tickets.tests.conftest import showtime_starting_in
from users.roles import Role
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _scan_url(showtime_id):
    return f"/door/{showtime_id}/scan/"


def _client(role=None, **kwargs) -> tuple[Client, object]:
    client = Client(**kwargs)
    user = None
    if role is not None:
        user = UserFactory(role=role)
        client.force_login(user)
    return client, user


def _scan(client, showtime_id, code, **kwargs):
    return client.post(
        _scan_url(showtime_id),
        json.dumps({"code": code}),
        content_type="application/json",
        **kwargs,
    )


def _ticket(show, label="A1"):
    reservation = book(user=UserFactory(), showtime=show, seats=[seat(show, label)])
    return Ticket.objects.get(reservation=reservation)


# --- who may ---------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.USHER, Role.CASHIER, Role.ADMIN])
def test_door_staff_who_check_in_get_the_page_and_admit(role, show):
    ticket = _ticket(show)
    client, user = _client(role)

    page = client.get("/door/")
    response = _scan(client, show.pk, ticket.code)

    assert page.status_code == 200
    assert "Orbit of Ashes" in page.content.decode()
    assert response.status_code == 200, response.json()
    assert response.json()["admitted"] is True
    ticket.refresh_from_db()
    assert (ticket.status, ticket.checked_in_by_id) == (TicketStatus.USED, user.pk)


def test_door_refuses_a_customer(show):
    ticket = _ticket(show)
    client, _ = _client(Role.CUSTOMER)

    page = client.get("/door/")
    response = _scan(client, show.pk, ticket.code)

    assert page.status_code == 403
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


def test_door_sends_a_stranger_to_the_admin_login(show):
    ticket = _ticket(show)
    client, _ = _client()

    page = client.get(f"/door/?showtime={show.pk}")
    response = _scan(client, show.pk, ticket.code)

    assert page.status_code == 302
    assert page["Location"] == f"/admin/login/?next=/door/%3Fshowtime%3D{show.pk}"
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


def test_door_scan_requires_the_csrf_token(show):
    ticket = _ticket(show)
    client, _ = _client(Role.USHER, enforce_csrf_checks=True)
    page = client.get("/door/")
    token = page.context["csrf_token"]

    forged = _scan(client, show.pk, ticket.code)
    unchanged = Ticket.objects.get(pk=ticket.pk).status
    genuine = _scan(client, show.pk, ticket.code, HTTP_X_CSRFTOKEN=str(token))

    assert forged.status_code == 403
    assert forged.json()["code"] == "csrf_failed"
    assert unchanged == TicketStatus.VALID
    assert genuine.status_code == 200, genuine.json()


def test_door_is_only_posted_to_and_only_read(show):
    client, _ = _client(Role.USHER)

    assert client.get(_scan_url(show.pk)).status_code == 405
    assert client.post("/door/").status_code == 405


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        "{}",
        '{"code": ""}',
        '{"code": "   "}',
        '{"code": 42}',
        '{"code": ["K3F9"]}',
        '["K3F9"]',
        "not json",
        json.dumps({"code": "A" * 65}),
    ],
)
def test_door_scan_bad_input_is_400_and_changes_nothing(body, show):
    ticket = _ticket(show)
    client, _ = _client(Role.USHER)

    response = client.post(_scan_url(show.pk), body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


@pytest.mark.parametrize("showtime_id", ["0", "999999", str(2**63)])
def test_door_scan_for_an_unknown_showtime_is_404(showtime_id, show):
    ticket = _ticket(show)
    client, _ = _client(Role.USHER)

    response = _scan(client, showtime_id, ticket.code)

    assert response.status_code == 404
    assert response.json()["code"] == "showtime_not_found"
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.VALID


def test_door_scan_takes_a_form_post_too(show):
    ticket = _ticket(show)
    client, _ = _client(Role.USHER)

    response = client.post(_scan_url(show.pk), {"code": ticket.display_code.lower()})

    assert response.status_code == 200
    assert response.json()["seat"] == "A1"


# --- the answers ------------------------------------------------------------------------------
def test_door_scan_answers_admit_with_seat_type_and_counter(show):
    vip = _ticket(show, "C2")
    _ticket(show, "A1")
    client, _ = _client(Role.USHER)

    response = _scan(client, show.pk, vip.code.lower())

    body = response.json()
    assert response.status_code == 200
    assert (body["title"], body["seat"], body["ticket_type"]) == ("ADMIT", "C2", "VIP")
    assert (body["inside"], body["sold"]) == (1, 2)


def test_door_scan_refusals_say_why_in_local_time(show, later_show, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    used, void, other = _ticket(show, "A1"), _ticket(show, "A2"), _ticket(later_show, "B1")
    booking_services.reservation_cancel(reservation=void.reservation, by=void.reservation.user)
    client, _ = _client(Role.USHER)
    first = _scan(client, show.pk, used.code).json()
    first_local = timezone.localtime(dt.datetime.fromisoformat(first["checked_in_at"]))

    again = _scan(client, show.pk, used.code)
    voided = _scan(client, show.pk, void.code)
    wrong = _scan(client, show.pk, other.code)
    early = _scan(client, later_show.pk, other.code)
    unknown = _scan(client, show.pk, "0000-0000-0000-0000-0000-0000-0000")

    assert again.status_code == 200
    assert again.json()["code"] == "already_checked_in"
    assert f"Already checked in at {first_local:%H:%M:%S}" in again.json()["reason"]
    assert (voided.status_code, voided.json()["code"]) == (200, "ticket_void")
    assert wrong.status_code == 200
    body = wrong.json()
    assert body["code"] == "wrong_showtime"
    assert body["showtime"]["id"] == later_show.pk
    start = timezone.localtime(later_show.start_time)
    assert f"{start:%H:%M} · Orbit of Ashes · {later_show.hall.name}" in body["reason"]
    assert early.status_code == 200
    opens = timezone.localtime(later_show.start_time - dt.timedelta(minutes=30))
    assert (
        early.json()["reason"]
        == f"Too early: doors open at {opens:%a} {opens.day} {opens:%b} {opens:%H:%M}"
    )
    assert (unknown.status_code, unknown.json()["code"]) == (200, "ticket_not_found")
    assert unknown.json()["title"] == "REFUSED"
    # Sold: the used ticket; the void one no longer counts.
    assert (unknown.json()["inside"], unknown.json()["sold"]) == (1, 1)
    refusals = (again, voided, wrong, early, unknown)
    assert {(r.json()["title"], r.json()["admitted"]) for r in refusals} == {("REFUSED", False)}


def test_door_scan_refuses_an_ended_showtime():
    ended = showtime_starting_in(60)
    ticket = _ticket(ended)
    ago = dt.timedelta(hours=5)
    Showtime.objects.filter(pk=ended.pk).update(
        start_time=ended.start_time - ago, end_time=ended.end_time - ago
    )
    client, _ = _client(Role.USHER)

    response = _scan(client, ended.pk, ticket.code)

    assert (response.status_code, response.json()["code"]) == (200, "showtime_ended")
    assert response.json()["reason"] == "This showtime has ended"


def test_door_scan_counts_in_the_check_in_throttle(show, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "check_in": "2/min",
        },
    }
    client, _ = _client(Role.USHER)
    codes = [_ticket(show, label).code for label in ("A1", "A2", "A3")]

    answers = [_scan(client, show.pk, code) for code in codes]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "throttled"
    assert int(answers[2]["Retry-After"]) >= 1
    assert Ticket.objects.get(code=codes[2]).status == TicketStatus.VALID


# --- the page ---------------------------------------------------------------------------------
def test_door_page_lists_tonight_and_preselects_the_next_showtime(settings):
    settings.TIME_ZONE = "UTC"
    now = timezone.now()
    # Tonight, in this order: one over, one that starts soon, one later; and one next week.
    over = showtime_starting_in(-240)
    soon = showtime_starting_in(20)
    later = showtime_starting_in(200)
    next_week = showtime_starting_in(7 * 24 * 60)
    client, _ = _client(Role.USHER)

    page = client.get("/door/")
    linked = client.get(f"/door/?showtime={next_week.pk}")

    listed = [item["id"] for item in page.context["showtimes"]]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    expected = [s.pk for s in (over, soon, later) if s.end_time > midnight]
    assert listed == expected
    assert page.context["chosen"].pk == soon.pk
    html = page.content.decode()
    assert f'action="/door/{soon.pk}/scan/"' in html
    assert linked.context["chosen"].pk == next_week.pk
    assert next_week.pk in [item["id"] for item in linked.context["showtimes"]]


def test_door_page_without_showtimes_says_so():
    client, _ = _client(Role.USHER)

    page = client.get("/door/?showtime=abc")

    assert page.status_code == 200
    assert "No showtimes tonight." in page.content.decode()


def test_admin_links_the_door_for_door_staff_only():
    usher, _ = _client(Role.USHER)
    admin, _ = _client(Role.ADMIN)

    assert 'href="/door/"' in usher.get("/admin/").content.decode()
    assert 'href="/door/"' in admin.get("/admin/").content.decode()

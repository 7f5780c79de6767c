"""The door screen in a real headless Chromium, as an usher works it: signs in at the
admin's login (sent there by /door/), picks the showtime, and scans 20 codes in a row by
typing each and Enter into the focused input, as a USB or Bluetooth scanner does. Every
refusal comes up once at least; the counter and the tickets' rows agree at the end. At
1280 px and on a 390 px phone (nothing scrolls sideways)."""

import datetime as dt
import statistics
import threading
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from bookings import services as booking_services
from bookings.tests.factories import book, seat
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.tests.conftest import browser_page, chromium, open_page  # noqa: F401  (fixtures)
from testsupport.testing import needs_chromium, screenshot_on_failure
from tickets.models import Ticket, TicketStatus
from users.roles import Role
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

USHER = "usher-door"
SEATS = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2", "C3"]  # C: VIP


def _showtime(title, hall, minutes):
    return ShowtimeFactory(
        hall=HallFactory(name=hall, layout={"rows": 3, "seats_per_row": 4, "vip_rows": ["C"]}),
        movie=MovieFactory(title=title, duration_minutes=100),
        start_time=timezone.now() + dt.timedelta(minutes=minutes),
        price=Decimal("10.00"),
        vip_price=Decimal("15.00"),
    )


def _code(show, label) -> str:
    reservation = book(user=UserFactory(), showtime=show, seats=[seat(show, label)])
    return Ticket.objects.get(reservation=reservation).display_code


def _clock(when) -> str:
    """As the screen writes a time: with the day when it is not today (near midnight)."""
    local = timezone.localtime(when)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def _label(show) -> str:
    return f"{_clock(show.start_time)} · {show.movie.title} · {show.hall.name}"


@dataclass
class Door:
    """What the usher scans, made before the browser starts (Playwright's event loop
    forbids the ORM in the test's thread)."""

    show_id: int
    show_label: str
    later_id: int
    later_label: str
    other_label: str
    doors_open: str
    codes: dict[str, str] = field(default_factory=dict)  # seat -> code as printed
    void: str = ""
    other: str = ""
    later: str = ""
    usher_id: int = 0


@pytest.fixture
def door(db) -> Door:
    show = _showtime("Orbit of Ashes", "Grand", 10)  # doors open
    other = _showtime("Night Harbour", "Studio", 25)  # another screen, doors open too
    later = _showtime("Paper Moons", "Annex", 180)  # doors open in two and a half hours
    usher = UserFactory(username=USHER, role=Role.USHER)
    data = Door(
        show_id=show.pk,
        show_label=_label(show),
        later_id=later.pk,
        later_label=_label(later),
        other_label=_label(other),
        doors_open=_clock(later.start_time - dt.timedelta(minutes=30)),
        codes={label: _code(show, label) for label in SEATS},
        other=_code(other, "A1"),
        later=_code(later, "A1"),
        usher_id=usher.pk,
    )
    void = book(user=UserFactory(), showtime=show, seats=[seat(show, "C4")])
    data.void = Ticket.objects.get(reservation=void).display_code
    booking_services.reservation_cancel(reservation=void, by=void.user)
    return data


def _in_a_thread(fn):
    """Run a database read beside Playwright's event loop (the ORM refuses its thread)."""
    result = {}

    def run():
        try:
            result["value"] = fn()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result["value"]


class Screen:
    def __init__(self, page):
        self.page = page
        self.scans = 0
        self.timings: list[int] = []

    def scan(self, typed: str) -> dict:
        """Type a code and Enter into the focused input; the answer as shown."""
        page = self.page
        assert page.evaluate("document.activeElement.id") == "code"
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        self.scans += 1
        page.locator(f'#answer[data-scan="{self.scans}"]').wait_for()
        answer = page.locator("#answer")
        shown = {
            "title": page.inner_text("#answer-title"),
            "reason": page.inner_text("#answer-reason"),
            "seat": page.inner_text("#answer-seat"),
            "class": answer.get_attribute("class"),
            "counter": page.inner_text(".counter"),
        }
        self.timings.append(int(answer.get_attribute("data-ms")))
        assert page.input_value("#code") == ""
        assert page.evaluate("document.activeElement.id") == "code"
        return shown


def _admitted(shown, seat_label, seat_type="Standard"):
    assert (shown["title"], shown["class"]) == ("ADMIT", "answer admit"), shown
    assert shown["seat"] == f"Seat {seat_label} · {seat_type}"


def _refused(shown, reason):
    assert (shown["title"], shown["class"]) == ("REFUSED", "answer refused"), shown
    assert shown["reason"].startswith(reason), shown


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("#code", "#answer", ".counter", "#showtime"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
    lines = """() => {
        const title = document.getElementById("answer-title");
        const range = document.createRange();
        range.selectNodeContents(title);
        return range.getClientRects().length;
    }"""
    assert page.evaluate(lines) == 1  # ADMIT or REFUSED on one line, not cut in two
    title = "document.getElementById('answer-title')"
    assert page.evaluate(f"{title}.scrollWidth <= {title}.clientWidth")


def _sign_in_and_open(page, live_server, door):
    # Sent to the admin's login, and back to the door once signed in.
    page.goto(f"{live_server.url}/door/")
    assert page.url == f"{live_server.url}/admin/login/?next=/door/"
    page.fill("#id_username", USHER)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/door/")
    assert page.input_value("#showtime") == str(door.show_id)  # the next one


def _choose(page, live_server, showtime_id):
    page.select_option("#showtime", str(showtime_id))
    page.wait_for_url(f"{live_server.url}/door/?showtime={showtime_id}")


def _scan_the_queue(screen, door) -> dict:
    """19 scans at the door of ``door.show_id``: ten admitted (as printed, lower case,
    without dashes), every refusal there is. The first scans' answers, by seat."""
    codes = door.codes
    _admitted(screen.scan(codes["A1"]), "A1")
    answers = {"A1": screen.scan(codes["A1"])}
    _refused(answers["A1"], "Already checked in at ")
    _refused(screen.scan(door.void), "Ticket void")
    _refused(screen.scan(door.other), f"Wrong showtime: this ticket is for {door.other_label}")
    _refused(screen.scan("K3F9-7QXM-A2B4-C6D8-E9F0-G1H2-J3K4"), "Unknown code")
    _admitted(screen.scan(codes["A2"].replace("-", "").lower()), "A2")
    for label in ("A3", "A4", "B1", "B2", "B3", "B4"):
        _admitted(screen.scan(codes[label]), label)
    _admitted(screen.scan(codes["C1"].lower()), "C1", "VIP")
    _admitted(screen.scan(codes["C2"].replace("-", "")), "C2", "VIP")
    answers["A2"] = screen.scan(codes["A2"].lower())
    _refused(answers["A2"], "Already checked in at ")
    _refused(screen.scan(door.later), f"Wrong showtime: this ticket is for {door.later_label}")
    _refused(screen.scan(door.void.lower()), "Ticket void")
    _refused(screen.scan("hello"), "Unknown code")
    _refused(screen.scan(codes["C1"]), "Already checked in at ")
    return answers


def _check_the_rows(door, answers) -> None:
    """The tickets as the scans left them: the ten admitted used, by the usher, at the
    time the second scans named; nothing else changed."""
    tickets = _in_a_thread(
        lambda: {
            ticket.display_code: (ticket.status, ticket.checked_in_by_id, ticket.checked_in_at)
            for ticket in Ticket.objects.all()
        }
    )
    codes = door.codes
    admitted = {codes[label] for label in SEATS[:10]}
    assert {code for code, row in tickets.items() if row[0] == TicketStatus.USED} == admitted
    assert {tickets[code][1] for code in admitted} == {door.usher_id}
    assert tickets[codes["C3"]][0] == TicketStatus.VALID
    assert tickets[door.void][0] == TicketStatus.VOID
    assert tickets[door.other][0] == tickets[door.later][0] == TicketStatus.VALID
    for label, answer in answers.items():
        first_scan = timezone.localtime(tickets[codes[label]][2])
        assert answer["reason"] == f"Already checked in at {first_scan:%H:%M:%S}"


@pytest.mark.parametrize("width", [1280, 390], ids=["desk", "phone"])
def test_door_screen_scans_twenty_codes_in_a_row(door, live_server, open_page, width):  # noqa: F811
    page = open_page(width=width, height=900 if width > 400 else 844)
    screen = Screen(page)
    with screenshot_on_failure(page, f"test_door_screen_{width}"):
        _sign_in_and_open(page, live_server, door)
        # Early arrivals for a later show: its doors are not open yet.
        _choose(page, live_server, door.later_id)
        _refused(screen.scan(door.later), f"Too early: doors open at {door.doors_open}")

        _choose(page, live_server, door.show_id)
        assert page.inner_text(".counter") == "Inside 0 / sold 11"
        screen.scans = 0  # a new page
        answers = _scan_the_queue(screen, door)

        assert len(screen.timings) == 20
        assert page.inner_text(".counter") == "Inside 10 / sold 11"
        if width < 400:
            _fits(page, width)
        assert page.console_errors == [] and page.script_errors == []
        assert page.failed_responses == [] and page.outside_requests == []

    timings = sorted(screen.timings)
    print(
        f"\ndoor screen at {width} px: {len(timings)} scans answered in "
        f"median {statistics.median(timings)} ms, slowest {timings[-1]} ms "
        "(submit to answer on the page)"
    )
    assert timings[-1] < 2000  # generous: the 300 ms is a measurement, not a gate
    _check_the_rows(door, answers)

"""CORS with a real preflight: a page served from one origin calls the API on another
origin from a headless Chromium, which sends the preflight itself, as a browser app's
users' browsers would."""

import http.server
import json
import logging
import threading
from contextlib import contextmanager

import pytest

from bookings.models import Reservation
from cinema.tests.factories import ShowtimeFactory
from testsupport.testing import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, client_for, needs_chromium
from users.tests.factories import UserFactory

# The app's own origin, a port of this test's range (19100-19199).
APP_PORTS = range(19110, 19130)

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@contextmanager
def app_origin():
    """An HTTP server for the browser app's page, on 127.0.0.1 and a free port."""

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>app</title><p>a browser app</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    for port in APP_PORTS:
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
            break
        except OSError:
            continue
    else:
        raise OSError("no free port for the app's origin")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Methods(logging.Handler):
    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, str]] = []

    def emit(self, record):
        line = json.loads(record.getMessage())
        self.seen.append((line["method"], line["path"]))


@pytest.fixture
def served_methods():
    """(method, path) of every request the API served, from its request log."""
    handler = _Methods()
    logger = logging.getLogger("marquee.request")
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)


def _browser_fetch(page_url: str, script: str, argument):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(page_url)
            return page.evaluate(script, argument)
        finally:
            browser.close()


BOOK_AND_POLL = """async ({api, token, showtime, seat}) => {
    const headers = {
        "Authorization": `Bearer ${token}`,
        "Content-Type": "application/json",
        "Idempotency-Key": "order-1",
    };
    const body = JSON.stringify({showtime, seats: [seat]});
    const first = await fetch(`${api}/api/reservations`, {method: "POST", headers, body});
    const again = await fetch(`${api}/api/reservations`, {method: "POST", headers, body});
    const map = await fetch(`${api}/api/showtimes/${showtime}/seats/`);
    const etag = map.headers.get("ETag");
    const polled = await fetch(`${api}/api/showtimes/${showtime}/seats/`, {
        headers: {"If-None-Match": etag}, cache: "no-store",
    });
    return {
        first: first.status,
        again: again.status,
        replayed: again.headers.get("Idempotent-Replayed"),
        etag,
        polled: polled.status,
    };
}"""


def test_a_browser_app_on_an_allowed_origin_books_and_polls(live_server, settings, served_methods):
    show = ShowtimeFactory()
    customer = UserFactory()
    token = client_for(customer)._credentials["HTTP_AUTHORIZATION"].split()[1]
    with app_origin() as origin:
        settings.CORS_ALLOWED_ORIGINS = [origin]
        result = _browser_fetch(
            f"{origin}/",
            BOOK_AND_POLL,
            {
                "api": live_server.url,
                "token": token,
                "showtime": show.pk,
                "seat": show.hall.seats.get(row="A", number=1).pk,
            },
        )
    assert result["first"] == 201
    assert result["again"] == 201
    assert result["replayed"] == "true"  # an exposed header, readable by the app
    assert result["etag"]
    assert result["polled"] == 304
    assert ("OPTIONS", "/api/reservations/") in served_methods  # the browser's preflight
    assert Reservation.objects.filter(user=customer).count() == 1


def test_a_browser_app_on_another_origin_is_refused(live_server, settings):
    show = ShowtimeFactory()
    with app_origin() as origin:
        settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
        result = _browser_fetch(
            f"{origin}/",
            """async ({api, showtime}) => {
                try {
                    await fetch(`${api}/api/showtimes/${showtime}/seats/`);
                    return "read";
                } catch (error) {
                    return "refused";
                }
            }""",
            {"api": live_server.url, "showtime": show.pk},
        )
    assert result == "refused"

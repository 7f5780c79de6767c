"""Swagger UI in a real headless Chromium: served offline, lists the operations, and
"Authorize" + "Try it out" on GET /api/users/me/ shows the signed-in user."""

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from users.tests.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_page(live_server):
    """A Chromium page that may only reach the live server; other requests are aborted
    and recorded in ``page.outside_requests``."""
    from playwright.sync_api import sync_playwright

    server = urlsplit(live_server.url)
    outside: list[str] = []

    def guard(route):
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https") and url.netloc == server.netloc:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.outside_requests = outside
        try:
            yield page
        finally:
            context.close()
            browser.close()


@contextmanager
def screenshot_on_failure(page, name: str):
    """Save what the browser showed when an assertion or a wait failed."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def test_swagger_ui_lists_operations_offline(live_server, browser_page):
    page = browser_page
    with screenshot_on_failure(page, "test_swagger_ui_lists_operations_offline"):
        page.goto(f"{live_server.url}/api/docs/")
        page.locator(".opblock").first.wait_for()

        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert len(paths) >= 10
        normalised = {path.replace("\u200b", "").strip() for path in paths}
        assert "/api/users/me/" in normalised
        assert "/api/auth/login/" in normalised
        assert "/api/admin/stats/" in normalised
        assert page.outside_requests == []


@pytest.fixture
def swagger_user_token():
    """A customer and an access token, made before the browser starts (Playwright's
    event loop forbids the ORM in the test's thread)."""
    user = UserFactory(username="swagger-tester")
    return str(RefreshToken.for_user(user).access_token)


def test_swagger_ui_try_it_out_with_bearer_token(swagger_user_token, live_server, browser_page):
    token = swagger_user_token
    page = browser_page
    with screenshot_on_failure(page, "test_swagger_ui_try_it_out_with_bearer_token"):
        page.goto(f"{live_server.url}/api/docs/")
        page.locator(".opblock").first.wait_for()

        page.locator("button.authorize").first.click()
        dialog = page.locator(".modal-ux")
        dialog.locator("input").first.fill(token)
        dialog.locator("button.modal-btn.auth.authorize").first.click()
        dialog.locator("button.btn-done").first.click()

        operation = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/api/users/me/"]')
        )
        operation.locator(".opblock-summary").first.click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()

        response = operation.locator(".live-responses-table tr.response .response-col_status").first
        response.wait_for()
        assert response.inner_text().strip() == "200"
        body = operation.locator(
            ".live-responses-table tr.response .response-col_description pre"
        ).first
        assert '"username": "swagger-tester"' in body.inner_text()
        assert page.outside_requests == []

"""The API docs in a real headless Chromium, with no outside network: Swagger UI and
ReDoc load everything from this host, Swagger UI lists the operations in their groups,
and "Authorize" + "Try it out" on GET /api/users/me/ shows the signed-in user."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from testsupport.testing import needs_chromium, screenshot_on_failure
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

GROUPS = [
    "auth", "users", "movies", "halls", "showtimes", "prices", "reservations", "payments", "tickets", "box-office", "reports", "audit", "health",
    "compatibility",
]  # fmt: skip


def test_swagger_ui_lists_operations_offline(live_server, browser_page):
    page = browser_page
    with screenshot_on_failure(page, "test_swagger_ui_lists_operations_offline"):
        page.goto(f"{live_server.url}/api/docs/")
        page.get_by_role("heading", name="Marquee API").first.wait_for()
        page.locator(".opblock").first.wait_for()

        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert len(paths) >= 10
        normalised = {path.replace("\u200b", "").strip() for path in paths}
        assert "/api/users/me/" in normalised
        assert "/api/auth/login/" in normalised
        assert "/api/admin/stats/" in normalised
        groups = page.locator(".opblock-tag-section h3 .nostyle span").all_inner_texts()
        assert groups == GROUPS
        compatibility = page.locator(".opblock-tag-section h3").last.inner_text()
        assert "Compatibility routes" in compatibility
        assert page.outside_requests == []
        assert page.console_errors == [] and page.script_errors == []
        assert page.failed_responses == []


def test_redoc_renders_offline(live_server, browser_page):
    """ReDoc draws the whole contract from this host: no request leaves it (Google Fonts
    and Redocly's CDN logo are gone), nothing answers 404 (its icon is ours), and the
    console stays clean (the page's Content-Security-Policy refused the logo in its "API
    docs by Redocly" link, logging an error on every load)."""
    page = browser_page
    with screenshot_on_failure(page, "test_redoc_renders_offline"):
        page.goto(f"{live_server.url}/api/redoc/")
        page.locator("h1").first.wait_for()
        page.get_by_role("heading", name="Book or hold seats, all or nothing").wait_for()
        groups = page.evaluate(
            """() => [...document.querySelectorAll('li[data-item-id^="tag/"]')]
                .map(item => item.dataset.itemId)
                .filter(id => id.split("/").length === 2)"""
        )
        assert groups == [f"tag/{group}" for group in GROUPS]
        attribution = page.get_by_role("link", name="API docs by Redocly")
        assert attribution.is_visible()
        assert attribution.locator("img").count() == 0

        assert page.outside_requests == []
        assert page.failed_responses == []
        assert page.script_errors == []
        assert page.console_errors == []


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


def test_landing_page_leads_to_the_docs(live_server, browser_page):
    page = browser_page
    with screenshot_on_failure(page, "test_landing_page_leads_to_the_docs"):
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="API docs").click()
        page.locator(".opblock").first.wait_for()
        assert page.url == f"{live_server.url}/api/docs/"
        assert page.outside_requests == []

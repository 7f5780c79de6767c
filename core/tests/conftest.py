"""The headless Chromium of the browser tests (test_browser.py, test_browser_admin.py):
Debian's /usr/bin/chromium driven by playwright, allowed to reach the live server only.

Every page records what a person with the developer tools open would notice: requests
that tried to leave the host (aborted), console errors, uncaught script errors, and
answers of 400 and above. ``testsupport.testing.screenshot_on_failure`` keeps a picture of
the page in test-artifacts/ when a check on it fails.
"""

from urllib.parse import urlsplit

import pytest

from testsupport.testing import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS


@pytest.fixture
def chromium():
    """A headless Chromium for the test; closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """``open_page(width=1440, height=900, color_scheme="light")``: a new page (in its
    own context: cookies, theme) that may only reach the live server. Other requests
    are aborted and listed in ``page.outside_requests``; console errors, script errors
    and answers >= 400 in ``page.console_errors``, ``page.script_errors`` and
    ``page.failed_responses``."""
    server = urlsplit(live_server.url)
    contexts = []

    def guard(outside):
        def route(route):
            url = urlsplit(route.request.url)
            if url.scheme in ("http", "https") and url.netloc == server.netloc:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        return route

    def open_(*, width=1440, height=900, color_scheme="light"):
        context = chromium.new_context(
            viewport={"width": width, "height": height}, color_scheme=color_scheme
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.outside_requests = []
        page.console_errors = []
        page.script_errors = []
        page.failed_responses = []
        context.route("**/*", guard(page.outside_requests))
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and page.failed_responses.append(f"{response.status} {response.url}")
            ),
        )
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(open_page):
    """A page of 1280 x 1600 in the light theme."""
    return open_page(width=1280, height=1600)

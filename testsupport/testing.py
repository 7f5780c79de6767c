"""Helpers for the test suite (imported by tests only)."""

import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

# Concurrency tests need real row locks and parallel connections: MariaDB/MySQL.
# SQLite serialises every writer, so there they would prove nothing.
requires_mysql = pytest.mark.skipif(
    connection.vendor != "mysql",
    reason="needs MariaDB/MySQL for real concurrent transactions "
    "(run with DATABASE_URL=mysql://root@127.0.0.1:3306/marquee)",
)
requires_mysql_marks = [pytest.mark.mysql, requires_mysql]


def client_for(user=None) -> APIClient:
    """An API client; authenticated with a real JWT access token when a user is given."""
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def run_concurrently(fn: Callable[[int], object], n: int, timeout: float = 120) -> list:
    """Run ``fn(i)`` for i in 0..n-1 in n threads released together by a barrier.

    Returns each call's result (or the exception it raised). Every thread closes its own
    database connection, as a request would.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except BaseException as exc:  # reported to the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError("a concurrent worker did not finish in time")
    return results


# --- browser tests (fixtures in core/tests/conftest.py) --------------------------------
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
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

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)",
)


@contextmanager
def screenshot_on_failure(page, name: str):
    """Save what the browser showed (test-artifacts/<name>.png) when an assertion or a
    wait failed."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise

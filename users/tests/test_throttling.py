"""Login and register are throttled per IP and per username, and a forged
X-Forwarded-For does not open a new bucket (NUM_PROXIES=0 trusts REMOTE_ADDR only)."""

from types import SimpleNamespace

import pytest
from django.conf import settings

from users import throttles
from users.models import User

pytestmark = pytest.mark.django_db

LOGIN_LIMIT = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
REGISTER_LIMIT = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["register"].split("/")[0])


def attempt_login(client, username, ip="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(
        "/api/auth/login/", {"username": username, "password": "wrong"}, format="json", **extra
    )


def test_login_is_throttled_per_ip_with_retry_after(anon_client):
    statuses = [attempt_login(anon_client, f"user{i}").status_code for i in range(LOGIN_LIMIT)]
    blocked = attempt_login(anon_client, "someone-else")

    assert statuses == [401] * LOGIN_LIMIT
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled"
    assert int(blocked["Retry-After"]) > 0


def test_forged_forwarded_for_does_not_dodge_the_throttle(anon_client):
    for i in range(LOGIN_LIMIT):
        attempt_login(anon_client, f"user{i}", forwarded=f"203.0.113.{i}")

    blocked = attempt_login(anon_client, "fresh-name", forwarded="198.51.100.77")

    assert blocked.status_code == 429


def test_login_is_throttled_per_username_across_ips(anon_client, customer):
    for i in range(LOGIN_LIMIT):
        attempt_login(anon_client, customer.username, ip=f"10.1.0.{i}")

    blocked = attempt_login(anon_client, customer.username.upper(), ip="10.9.9.9")
    other_user = attempt_login(anon_client, "somebody-else", ip="10.9.9.9")

    assert blocked.status_code == 429
    assert other_user.status_code == 401


def test_throttled_login_does_not_log_in_even_with_the_right_password(anon_client, customer):
    for i in range(LOGIN_LIMIT):
        attempt_login(anon_client, f"user{i}")

    response = anon_client.post(
        "/api/auth/login/",
        {"username": customer.username, "password": "Correct-Horse-42"},
        format="json",
        REMOTE_ADDR="10.0.0.1",
    )

    assert response.status_code == 429
    assert "access" not in response.json()


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by the test: a minute's window starts at 60,000."""
    now = {"t": 60_000.0}
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: now["t"]))
    return now


def test_a_burst_at_a_minutes_end_cannot_follow_with_another_after_it(anon_client, clock):
    clock["t"] = 60_059.9
    statuses = [attempt_login(anon_client, f"user{i}").status_code for i in range(LOGIN_LIMIT)]

    clock["t"] = 60_060.1  # a new fixed window, but the sliding one still holds them all
    blocked = attempt_login(anon_client, "someone-else")

    assert statuses == [401] * LOGIN_LIMIT
    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= 60


def test_the_previous_minutes_attempts_fade_out(anon_client, clock):
    clock["t"] = 60_059.9
    for i in range(LOGIN_LIMIT):
        attempt_login(anon_client, f"user{i}")

    clock["t"] = 60_060 + 60 / LOGIN_LIMIT + 0.5  # one of them no longer weighs
    first = attempt_login(anon_client, "someone-else")
    blocked = attempt_login(anon_client, "someone-else")
    clock["t"] = 60_120.5  # a whole minute later
    again = attempt_login(anon_client, "someone-else")

    assert first.status_code == 401
    assert blocked.status_code == 429
    assert again.status_code == 401


def test_retry_after_names_the_moment_the_next_attempt_fits(anon_client, clock):
    clock["t"] = 60_000.0
    for i in range(LOGIN_LIMIT):
        attempt_login(anon_client, f"user{i}")
    blocked = attempt_login(anon_client, "someone-else")
    wait = int(blocked["Retry-After"])

    clock["t"] += wait
    allowed = attempt_login(anon_client, "someone-else")

    assert blocked.status_code == 429
    assert allowed.status_code == 401


def test_register_is_throttled_per_ip(anon_client):
    def register(i):
        return anon_client.post(
            "/api/auth/register/",
            {
                "username": f"new{i}",
                "email": f"new{i}@example.com",
                "password": "Velvet-Curtain-1927",
            },
            format="json",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )

    statuses = [register(i).status_code for i in range(REGISTER_LIMIT)]
    blocked = register(REGISTER_LIMIT)

    assert statuses == [201] * REGISTER_LIMIT
    assert blocked.status_code == 429
    assert "Retry-After" in blocked
    assert User.objects.count() == REGISTER_LIMIT

"""Races on accounts: refresh rotation, admins demoting each other, one account's
login attempts under several spellings at once."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.models import Role, User
from users.tests.factories import AdminFactory, UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

THREADS = 20
LOGIN_LIMIT = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])


def test_refresh_race_gives_exactly_one_new_pair():
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    outstanding_before = OutstandingToken.objects.count()

    def refresh_once(_):
        response = APIClient().post("/api/auth/refresh/", {"refresh": refresh}, format="json")
        return response.status_code

    statuses = run_concurrently(refresh_once, THREADS)

    assert sorted(statuses) == [200] + [401] * (THREADS - 1), statuses
    assert (
        BlacklistedToken.objects.filter(
            token__jti=RefreshToken(refresh, verify=False)["jti"]
        ).count()
        == 1
    )
    # Exactly one new refresh token was issued.
    assert OutstandingToken.objects.count() == outstanding_before + 1


@pytest.mark.parametrize("round_", range(5))
def test_two_admins_demoting_each_other_leave_one_admin(round_):
    first, second = AdminFactory(), AdminFactory()
    clients = [client_for(first), client_for(second)]
    targets = [second, first]

    def demote(i):
        response = clients[i].patch(
            f"/api/users/{targets[i].pk}/", {"role": Role.CUSTOMER}, format="json"
        )
        return response.status_code, response.json().get("code")

    results = run_concurrently(demote, 2)

    assert sorted(status for status, _ in results) in ([200, 403], [200, 409]), results
    loser = next(result for result in results if result[0] != 200)
    # Refused by the service under the lock (permission_denied, last_admin), or - when the
    # winner committed before the loser's request was authenticated - by the role check
    # on the freshly loaded user (permission_denied).
    assert loser[1] in {"last_admin", "permission_denied"}, results
    assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1


def test_login_attempts_under_spellings_of_one_username_share_one_bucket():
    UserFactory(username="martina")
    spellings = ["martina", "MARTINA", "Martína", "mártina", "MARTÍNA", "martinA"]
    threads = 2 * LOGIN_LIMIT

    def attempt(i):
        response = APIClient().post(
            "/api/auth/login/",
            {"username": spellings[i % len(spellings)], "password": "wrong"},
            format="json",
            REMOTE_ADDR=f"10.20.0.{i}",  # a fresh address each: only the account counts
        )
        return response.status_code

    statuses = run_concurrently(attempt, threads)

    assert statuses.count(401) == LOGIN_LIMIT, statuses
    assert statuses.count(429) == threads - LOGIN_LIMIT, statuses

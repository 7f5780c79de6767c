"""Refresh rotation under a race: one refresh token yields exactly one new pair."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from config.testing import requires_mysql_marks, run_concurrently
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

THREADS = 20


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

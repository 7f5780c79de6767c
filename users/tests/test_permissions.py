"""Who may call which account endpoint: one table of role x method x url x status."""

import pytest

from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

ANON, CUSTOMER, ADMIN = "anonymous", "customer", "admin"

# {target} is another user's id.
TABLE = [
    (ANON, "get", "/api/users/me/", 401),
    (CUSTOMER, "get", "/api/users/me/", 200),
    (ADMIN, "get", "/api/users/me/", 200),
    (ANON, "patch", "/api/users/me/", 401),
    (CUSTOMER, "patch", "/api/users/me/", 200),
    (ADMIN, "patch", "/api/users/me/", 200),
    (ANON, "get", "/api/users/", 401),
    (CUSTOMER, "get", "/api/users/", 403),
    (ADMIN, "get", "/api/users/", 200),
    (ANON, "get", "/api/users/{target}/", 401),
    (CUSTOMER, "get", "/api/users/{target}/", 403),
    (ADMIN, "get", "/api/users/{target}/", 200),
    (ANON, "patch", "/api/users/{target}/", 401),
    (CUSTOMER, "patch", "/api/users/{target}/", 403),
    (ADMIN, "patch", "/api/users/{target}/", 200),
    (CUSTOMER, "delete", "/api/users/{target}/", 403),
    (ADMIN, "delete", "/api/users/{target}/", 405),
    (ADMIN, "post", "/api/users/", 405),
    (ANON, "post", "/api/auth/logout/", 401),
    (ANON, "get", "/api/auth/login/", 405),
    (ANON, "get", "/api/health/", 200),
]


@pytest.mark.parametrize(("role", "method", "url", "expected"), TABLE)
def test_account_endpoint_access(role, method, url, expected):
    target = UserFactory()
    user = {ANON: None, CUSTOMER: UserFactory(), ADMIN: AdminFactory()}[role]
    client = client_for(user)
    body = {"role": "CUSTOMER"} if "target" in url else {"first_name": "Zed"}

    response = getattr(client, method)(url.format(target=target.id), body, format="json")

    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")

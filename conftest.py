import pytest
from django.core.cache import cache

from core.errors import DomainError
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory


def pytest_configure(config):
    # A domain error raised with an extra field its class does not declare (and so the
    # schema does not document) fails the test instead of being dropped and logged.
    DomainError.strict_fields = True


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Throttle counters and cached keys never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anon_client():
    return client_for(None)


@pytest.fixture
def customer(db):
    return UserFactory()


@pytest.fixture
def other_customer(db):
    return UserFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def customer_client(customer):
    return client_for(customer)


@pytest.fixture
def other_client(other_customer):
    return client_for(other_customer)


@pytest.fixture
def admin_client(admin_user):
    return client_for(admin_user)


@pytest.fixture
def staff_client(client, admin_user):
    """A browser logged in to /admin/. Role ADMIN alone gives full admin access
    (users.models.User.save)."""
    client.force_login(admin_user)
    return client

import pytest
from django.core.cache import cache

from core.errors import DomainError
from payments.tests.factories import open_shift
from testsupport.contract import ContractRecorder
from testsupport.testing import client_for
from users.tests.factories import AdminFactory, UserFactory

# Test modules whose outcome depends on the database engine: the SQL the ORM writes
# differs per backend there (row locks and their errors, constraint violations, date and
# time-zone arithmetic in aggregates and the admin's day filters, collations, prepared
# statements, the replica router, counting queries, strict mode under contract fuzzing). CI runs these on MariaDB, the production engine, and every
# other test on SQLite, so no test runs twice (.ci/run); `make test` runs them all on
# whichever engine DATABASE_URL names. A module that gains such a test belongs here.
ENGINE_MODULES = (
    "bookings/tests/test_admin.py",
    "bookings/tests/test_api.py",
    "bookings/tests/test_catalogue.py",
    "bookings/tests/test_counters.py",
    "bookings/tests/test_guest_list.py",
    "bookings/tests/test_models.py",
    "bookings/tests/test_prepared_queries.py",
    "bookings/tests/test_queries.py",
    "bookings/tests/test_search.py",
    "bookings/tests/test_seat_map_sql.py",
    "bookings/tests/test_services.py",
    "boxoffice/tests/test_shifts.py",  # the shift list's sums are SQL subqueries
    "cinema/tests/test_admin.py",
    "cinema/tests/test_api.py",
    "cinema/tests/test_queries.py",
    "cinema/tests/test_services.py",
    "core/tests/test_contract.py",
    "core/tests/test_db_router.py",
    "core/tests/test_pagination.py",
    "core/tests/test_plumbing.py",
    "core/tests/test_queries.py",
    "demo/tests/test_seed_demo.py",
    # Its stream reads the map on the hub's threads while the test writes: in-memory
    # SQLite's shared cache answers "table is locked" where MariaDB waits.
    "live/tests/test_stream.py",
    "notifications/tests/test_delivery.py",
    "payments/tests/test_api.py",
    "payments/tests/test_checkout.py",
    "payments/tests/test_payable.py",
    "payments/tests/test_showtime_cancel.py",
    "payments/tests/test_stats.py",
    "payments/tests/test_sync.py",
    "payments/tests/test_webhooks.py",
    "reports/tests/test_admin_views.py",
    "reports/tests/test_exports.py",
    "reports/tests/test_stats.py",
    "reports/tests/test_tonight.py",
    "tickets/tests/test_admin_search.py",
    "tickets/tests/test_api.py",
    "tickets/tests/test_services.py",
    "users/tests/test_accounts.py",
    "users/tests/test_api.py",
)


# Test modules that measure how fast the app answers under a fault (a hung database or
# Redis, a locked showtime): CI runs them on MariaDB on their own, after the two halves
# of the suite that run side by side, so a neighbour's CPU does not decide them.
TIMING_MODULES = (
    "core/tests/test_faults.py",
    "payments/tests/test_stripe_guard.py",
    "waitingroom/tests/test_faults.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path.as_posix()
        if any(path.endswith("/" + module) for module in ENGINE_MODULES):
            item.add_marker(pytest.mark.engine)
        if any(path.endswith("/" + module) for module in TIMING_MODULES):
            item.add_marker(pytest.mark.timing)


CONTRACT = ContractRecorder()


def pytest_sessionstart(session):
    CONTRACT.install()


def pytest_sessionfinish(session, exitstatus):
    CONTRACT.uninstall()
    if not CONTRACT.drifts:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{len(CONTRACT.drifts)} answers of {CONTRACT.checked} disagree with /api/schema/:"]
    lines += [f"  {drift}" for drift in CONTRACT.drifts[:200]]
    if reporter is not None:
        reporter.write_sep("=", "answers outside the API contract", red=True)
        reporter.write_line("\n".join(lines))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config):
    # A domain error raised with an extra field its class does not declare (and so the
    # schema does not document) fails the test instead of being dropped and logged.
    DomainError.strict_fields = True


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Throttle counters and cached keys never leak from one test into the next (nor a
    process's copy of the queued showtimes)."""
    from waitingroom.services import forget_local_copies

    cache.clear()
    forget_local_copies()
    yield
    cache.clear()
    forget_local_copies()


@pytest.fixture(autouse=True)
def _schema_built_per_test():
    """/api/schema/ is built once per process (core.docs.SchemaView); a test that
    changes what it is made of (settings, routes) gets one built for it."""
    from core.docs import SchemaView

    SchemaView.forget()
    yield
    SchemaView.forget()


@pytest.fixture(autouse=True)
def _ticket_types_read_per_test():
    """Seat maps keep a price list's ticket types for a few seconds per process
    (pricing.services.ticket_types): each test starts with none kept."""
    from pricing.services import forget_ticket_types

    forget_ticket_types()
    yield
    forget_ticket_types()


@pytest.fixture(autouse=True)
def _stripe_guard_reset():
    """The payment gateway's pause after an unreachable Stripe, and its count of calls in
    flight, are per process: a test that black-holed Stripe leaves none to the next."""
    from payments.gateway import guard

    guard.reset()
    yield
    guard.reset()


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
    """An ADMIN at work: with an open shift at the till, which taking money at the
    counter needs (payments/shift_services.py). Tests of that rule make their own."""
    admin = AdminFactory()
    open_shift(admin)
    return admin


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

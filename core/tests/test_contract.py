"""Contract fuzzing: every operation of the published OpenAPI schema, called in process
with data generated from the schema (valid and invalid), as a customer and as an admin.

The schema is loaded from /api/schema/ itself, so a new endpoint is covered as soon as
it is routed. Examples per operation are few (``MAX_EXAMPLES``, plus schemathesis'
deterministic coverage cases) so the whole run stays within a few minutes.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from cinema.tests.factories import ShowtimeFactory
from testsupport.testing import client_for

MAX_EXAMPLES = 8

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
    negative_data_rejection,
    ignored_auth,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())

CONTRACT_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@pytest.fixture
def in_process_requests(db):
    """Keep the test's database connection (and its transaction) across the requests.

    Django closes stale connections when a request starts and ends; on MySQL that would
    close the connection the test runs in. Its own test client switches this off for
    the same reason; schemathesis calls the WSGI handler directly, so do it here.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def catalogue(db):
    """Something for the generated requests to find: a showtime in a hall with seats."""
    return ShowtimeFactory()


def _bearer(user, case) -> dict:
    """The user's real token, unless this is a negative case that deliberately broke
    the Authorization header: overriding that would turn it back into a valid request."""
    meta = case.meta
    if (
        meta is not None
        and meta.generation.mode.is_negative
        and "Authorization" in (case.headers or {})
    ):
        return {}
    # A negative case that left the header out on purpose.
    if any(name.lower() == "authorization" for name, _ in negated_parameters(meta)):
        return {}
    token = client_for(user)._credentials["HTTP_AUTHORIZATION"]
    return {"Authorization": token}


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@CONTRACT_SETTINGS
def test_contract_as_customer(case, customer, catalogue, in_process_requests):
    case.call_and_validate(headers=_bearer(customer, case), checks=CHECKS)


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@CONTRACT_SETTINGS
def test_contract_as_admin(case, admin_user, catalogue, in_process_requests):
    case.call_and_validate(headers=_bearer(admin_user, case), checks=CHECKS)

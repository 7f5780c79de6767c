import json
import logging

import pytest


@pytest.fixture(autouse=True)
def _capture_request_logger(caplog):
    # The request logger does not propagate to the root (its own JSON handler), so hand
    # it caplog's handler directly.
    logger = logging.getLogger("marquee.request")
    logger.addHandler(caplog.handler)
    yield
    logger.removeHandler(caplog.handler)


def _request_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "marquee.request"]


@pytest.mark.django_db
def test_request_log_writes_one_json_line_per_request(anon_client, caplog):
    with caplog.at_level(logging.INFO, logger="marquee.request"):
        response = anon_client.get("/api/health/?probe=1")

    assert response.status_code == 200
    [line] = _request_lines(caplog)
    assert line["method"] == "GET"
    assert line["path"] == "/api/health/"  # no query string
    assert line["status"] == 200
    assert line["user"] is None
    assert isinstance(line["duration_ms"], float | int)
    assert line["duration_ms"] >= 0
    assert line["ts"].endswith("+00:00")


def test_request_log_names_the_jwt_user(customer, customer_client, caplog):
    with caplog.at_level(logging.INFO, logger="marquee.request"):
        response = customer_client.get("/api/users/me/")

    assert response.status_code == 200
    [line] = _request_lines(caplog)
    assert line["user"] == customer.pk
    assert line["path"] == "/api/users/me/"


@pytest.mark.django_db
def test_request_log_records_client_errors(anon_client, caplog):
    with caplog.at_level(logging.INFO, logger="marquee.request"):
        anon_client.get("/api/users/me/")
        anon_client.get("/api/no-such-thing/")

    assert [(line["path"], line["status"]) for line in _request_lines(caplog)] == [
        ("/api/users/me/", 401),
        ("/api/no-such-thing/", 404),
    ]


@pytest.mark.django_db
def test_request_log_can_be_switched_off(anon_client, caplog, settings):
    from core.middleware import RequestLogMiddleware

    settings.REQUEST_LOG = False
    middleware = RequestLogMiddleware(lambda request: None)
    assert middleware.enabled is False
    with caplog.at_level(logging.INFO, logger="marquee.request"):
        middleware(object())
    assert _request_lines(caplog) == []

"""GET /api/audit/: ADMIN only, newest first, paginated, filtered by action, actor,
object and local days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from audit.models import Action, AuditEntry
from bookings.models import Reservation
from cinema.models import Showtime
from testsupport.testing import client_for
from users.tests.factories import CashierFactory, UserFactory

URL = "/api/audit/"
BERLIN = ZoneInfo("Europe/Berlin")


def entry(action, model, object_id, *, at, actor=None, **fields) -> AuditEntry:
    return AuditEntry.objects.create(
        at=at,
        action=action,
        content_type=ContentType.objects.get_for_model(model),
        object_id=str(object_id),
        object_label=f"{model.__name__} {object_id}",
        actor_id=actor.pk if actor else None,
        actor_username=actor.get_username() if actor else "",
        **fields,
    )


@pytest.fixture
def trail(db):
    carla = CashierFactory(username="carla")
    # 23:30 UTC on the 9th is 00:30 on the 10th in Berlin (UTC+1 in March).
    late = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    return {
        "carla": carla,
        "sell": entry(
            Action.SELL,
            Reservation,
            7,
            at=late,
            actor=carla,
            ip="10.0.0.1",
            after={"total": "20.00"},
        ),
        "cancel": entry(
            Action.CANCEL,
            Reservation,
            7,
            at=late + dt.timedelta(hours=1),
            actor=carla,
            before={"status": "CONFIRMED"},
            after={"status": "CANCELLED"},
        ),
        "price": entry(
            Action.PRICE_CHANGE,
            Showtime,
            3,
            at=dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC),
            before={"price": "10.00"},
            after={"price": "11.00"},
        ),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_audit_list_newest_first_with_every_field(admin_client, trail):
    response = admin_client.get(URL)

    assert ids(response) == [trail["cancel"].pk, trail["sell"].pk, trail["price"].pk]
    assert response.json()["count"] == 3
    sell = response.json()["results"][1]
    assert sell == {
        "id": trail["sell"].pk,
        "at": "2026-03-10T00:30:00+01:00",
        "actor": {"id": trail["carla"].pk, "username": "carla"},
        "action": "reservation.sell",
        "object": {"type": "bookings.reservation", "id": "7", "label": "Reservation 7"},
        "ip": "10.0.0.1",
        "before": {},
        "after": {"total": "20.00"},
    }
    assert response.json()["results"][2]["actor"] is None  # the system


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "reservation.cancel"}, ["cancel"]),
        ({"action": ["reservation.cancel", "showtime.price_change"]}, ["cancel", "price"]),
        ({"actor": "carla"}, ["cancel", "sell"]),
        ({"actor": "system"}, ["price"]),
        ({"object_type": "bookings.reservation", "object_id": "7"}, ["cancel", "sell"]),
        ({"object_type": "cinema.showtime"}, ["price"]),
        ({"object_type": "cinema.showtime", "object_id": "7"}, []),
        # Days are Berlin's: the sale at 23:30 UTC on the 9th was on the 10th there.
        ({"from": "2026-03-10"}, ["cancel", "sell"]),
        ({"to": "2026-03-09"}, ["price"]),
        ({"from": "2026-03-09", "to": "2026-03-09"}, ["price"]),
        ({"from": "2026-03-11"}, []),
    ],
)
def test_audit_list_filters(admin_client, trail, query, expected):
    assert ids(admin_client.get(URL, query)) == [trail[name].pk for name in expected]


def test_audit_list_filter_by_actor_id(admin_client, trail):
    assert ids(admin_client.get(URL, {"actor": trail["carla"].pk})) == [
        trail["cancel"].pk,
        trail["sell"].pk,
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"action": "reservation.burn"}, "action"),
        ({"object_type": "nothing.here"}, "object_type"),
        ({"object_type": ""}, "object_type"),
        ({"from": "tomorrow"}, "from"),
        ({"to": "0001-01-01"}, "to"),
        ({"actor": ""}, "actor"),
    ],
)
def test_audit_list_bad_filters_are_400_naming_the_parameter(admin_client, trail, query, field):
    response = admin_client.get(URL, query)

    assert response.status_code == 400
    assert field in response.json()


def test_audit_list_is_paginated(admin_client, trail):
    response = admin_client.get(URL, {"page_size": 2})
    body = response.json()
    assert len(body["results"]) == 2
    assert body["next"]


@pytest.mark.parametrize("role", ["CUSTOMER", "USHER", "CASHIER"])
def test_audit_list_is_admin_only(trail, role):
    response = client_for(UserFactory(role=role)).get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_audit_list_query_budget(admin_client, trail, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # user + count + page with content types
        response = admin_client.get(URL)
    assert response.json()["count"] == 3


def test_audit_list_time_zone_is_the_cinemas(admin_client, trail, settings):
    assert settings.TIME_ZONE == "Europe/Berlin"
    at = dt.datetime.fromisoformat(admin_client.get(URL).json()["results"][0]["at"])
    assert at.utcoffset() == dt.datetime(2026, 3, 10, tzinfo=BERLIN).utcoffset()

"""core/queries.py: a queryset compiled once answers what the ORM answers for it, with
its values as parameters, its lists compiled per length, its rows converted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import DateTimeField, F, IntegerField
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bookings.models import Reservation, ReservationSeat, ReservationStatus, ShowtimeCounters
from cinema.models import Movie, Seat, Showtime
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from core.queries import PreparedInsert, PreparedQuery, PreparedUpdate, _Slot

pytestmark = pytest.mark.django_db


def test_prepared_query_runs_the_querysets_sql_with_new_values():
    hall = HallFactory(layout={"rows": 2, "seats_per_row": 3, "vip_rows": ["B"]})
    query = PreparedQuery(
        "test_seats",
        lambda p: (
            Seat.objects.filter(hall_id=p("hall"), pk__in=p.list("ids"))
            .order_by("position")
            .values_list("id", "row", "number")
        ),
    )
    ids = list(hall.seats.order_by("position").values_list("pk", flat=True))

    first = query.rows(hall=hall.pk, ids=ids[:2])
    second = query.rows(hall=hall.pk, ids=[ids[5], ids[4]])
    third = query.rows(hall=hall.pk, ids=ids[:3])

    assert first == [(ids[0], "A", 1), (ids[1], "A", 2)]
    assert second == [(ids[4], "B", 2), (ids[5], "B", 3)]
    assert third == list(query.queryset(hall=hall.pk, ids=ids[:3]))
    # Two lists of two seats share their compiled SQL; three seats get their own.
    assert sorted(key[1:] for key in query._compiled) == [(("ids", 2),), (("ids", 3),)]


def test_prepared_query_converts_as_the_orm_does():
    show = ShowtimeFactory(price=Decimal("9.50"))
    query = PreparedQuery(
        "test_showtime",
        lambda p: (
            Showtime.objects.filter(pk=p("id"))
            .order_by()
            .values_list("start_time", "price", "movie__release_date")
        ),
    )
    (row,) = query.rows(id=show.pk)
    assert [row] == list(query.queryset(id=show.pk))
    start, price, release = row
    assert start == show.start_time and start.tzinfo is not None
    assert (type(price), price) == (Decimal, Decimal("9.50"))
    assert isinstance(release, dt.date)


def test_prepared_query_prepares_a_value_with_its_field():
    """An aware datetime goes to the database as the ORM sends it (UTC, in the
    backend's format), so a comparison gives what the ORM's gives."""
    early = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(hours=3))
    ShowtimeFactory(start_time=timezone.now() + dt.timedelta(days=3))
    query = PreparedQuery(
        "test_before",
        lambda p: (
            Showtime.objects.filter(start_time__lt=p("until", DateTimeField()))
            .order_by("start_time")
            .values_list("id")
        ),
    )
    until = timezone.localtime(timezone.now() + dt.timedelta(days=1))  # not in UTC
    assert query.rows(until=until) == [(early.pk,)] == list(query.queryset(until=until))


@pytest.mark.parametrize(
    ("model", "name", "value", "sent"),
    [
        (Reservation, "showtime_id", 7, 7),  # an int for a foreign key: as it is
        (Reservation, "showtime_id", "7", 7),  # anything else: through the field
        (Reservation, "showtime_id", True, 1),
        (Reservation, "customer_name", "Walk In", "Walk In"),
        (Reservation, "customer_name", 42, "42"),
        (Reservation, "status", ReservationStatus.CONFIRMED, "CONFIRMED"),
        (ReservationSeat, "active", True, True),
        (ReservationSeat, "active", None, None),
    ],
)
def test_prepared_values_are_sent_as_their_field_prepares_them(model, name, value, sent):
    """Ints for integer columns, strs for text and bools for booleans skip their field's
    preparation, which would give them back unchanged; any other value goes through it."""
    field = model._meta.get_field(name)
    slot = _Slot(field.attname, None, field, save=True)
    prepared = slot.prepare({field.attname: value}, connection)
    assert prepared == sent
    assert type(prepared) is type(field.get_db_prep_save(value, connection))
    assert prepared == field.get_db_prep_save(value, connection)


def test_prepared_query_pages_with_limit_and_offset():
    for title in ("c", "a", "b", "d"):
        MovieFactory(title=title)
    query = PreparedQuery(
        "test_titles", lambda p: Movie.objects.order_by("title").values_list("title"), paged=True
    )
    assert query.rows(limit=2, offset=1) == [("b",), ("c",)]
    assert query.rows(limit=2, offset=3) == [("d",)]


def test_prepared_query_keeps_a_lock_a_lock():
    show = ShowtimeFactory()
    query = PreparedQuery(
        "test_lock",
        lambda p: Showtime.objects.select_for_update().filter(pk=p("id")).values_list("id"),
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        assert query.rows(id=show.pk) == [(show.pk,)]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in captured[0]["sql"]


def test_prepared_queries_off_gives_the_same_rows_through_the_orm(settings):
    for title in ("c", "a", "b"):
        MovieFactory(title=title)
    query = PreparedQuery(
        "test_titles_orm",
        lambda p: (
            Movie.objects.filter(duration_minutes__gt=p("min"))
            .order_by("title")
            .values_list("title")
        ),
        paged=True,
    )
    prepared = query.rows(min=0, limit=2, offset=1)
    settings.PREPARED_QUERIES = False
    with CaptureQueriesContext(connection) as captured:
        assert query.rows(min=0, limit=2, offset=1) == prepared == [("b",), ("c",)]
    assert len(captured) == 1


def _claim_rows(reservation, seats, expires_at=None):
    return [
        {
            "reservation_id": reservation.pk,
            "showtime_id": reservation.showtime_id,
            "seat_id": seat.pk,
            "price": Decimal("12.50"),
            "active": True,
            "hold_expires_at": expires_at,
        }
        for seat in seats
    ]


@pytest.mark.parametrize("prepared", [True, False])
def test_prepared_insert_writes_what_the_orm_writes(settings, customer, prepared):
    settings.PREPARED_QUERIES = prepared
    show = ShowtimeFactory()
    seats = list(show.hall.seats.order_by("position")[:3])
    now = timezone.now()
    insert = PreparedInsert(Reservation, ("user_id", "showtime_id", "status", "total_price",
                                          "expires_at", "cancelled_at", "created_at",
                                          "updated_at"))  # fmt: skip
    row = {
        "user_id": customer.pk,
        "showtime_id": show.pk,
        "status": "HELD",
        "total_price": Decimal("37.50"),
        "expires_at": now,
        "cancelled_at": None,
        "created_at": now,
        "updated_at": now,
    }
    (pk,) = insert.execute([row])
    stored = Reservation.objects.get(pk=pk)
    assert {name: getattr(stored, name) for name in row} == row  # no auto_now override

    claims = PreparedInsert(ReservationSeat, list(_claim_rows(stored, seats[:1])[0]))
    ids = claims.execute(_claim_rows(stored, seats, expires_at=now))
    stored_claims = list(ReservationSeat.objects.filter(reservation=stored).order_by("pk"))
    assert [c.seat_id for c in stored_claims] == [s.pk for s in seats]
    assert all(c.hold_expires_at == now and c.price == Decimal("12.50") for c in stored_claims)
    if connection.features.can_return_rows_from_bulk_insert or not prepared:
        assert ids == [c.pk for c in stored_claims]


def test_prepared_update_changes_what_the_orm_changes(settings):
    show = ShowtimeFactory()
    update = PreparedUpdate(
        "test_sell",
        lambda p: (
            ShowtimeCounters.objects.filter(pk=p("showtime")),
            {"sold": F("sold") + p("seats", IntegerField())},
        ),
    )
    assert update.execute(showtime=show.pk, seats=3) == 1
    assert update.execute(showtime=show.pk, seats=-1) == 1
    settings.PREPARED_QUERIES = False
    assert update.execute(showtime=show.pk, seats=5) == 1
    assert update.execute(showtime=987654321, seats=5) == 0
    assert ShowtimeCounters.objects.get(showtime=show).sold == 7

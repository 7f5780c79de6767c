import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from bookings import exceptions, services
from bookings.models import IdempotencyKey, Reservation, ReservationSeat, ReservationStatus
from bookings.tests.factories import book, seat, seat_ids
from cinema.tests.factories import ShowtimeFactory
from core.exceptions import http_status
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip_price() -> Decimal:
    return Decimal("15.50")


def test_reservation_create_books_all_seats_with_prices_per_seat_type(show, customer):
    reservation = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1", "C2")
    ).reservation
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.expires_at is None
    assert reservation.total_price == Decimal("25.50")
    claims = {c.seat.label: c for c in reservation.seats.select_related("seat")}
    assert claims["A1"].price == Decimal("10.00")
    assert claims["C2"].price == Decimal("15.50")
    assert all(c.active and c.hold_expires_at is None for c in claims.values())


def test_reservation_create_hold_sets_expiry_on_reservation_and_claims(show, customer, settings):
    settings.HOLD_MINUTES = 7
    now = timezone.now()
    reservation = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), hold=True, now=now
    ).reservation
    assert reservation.status == ReservationStatus.HELD
    assert reservation.expires_at == now + dt.timedelta(minutes=7)
    assert reservation.seats.get().hold_expires_at == reservation.expires_at


def test_reservation_create_taken_seat_names_every_taken_seat(show, customer, counts):
    book(showtime=show, seats=[seat(show, "A1"), seat(show, "A3")])
    before = counts()
    with pytest.raises(exceptions.SeatsUnavailable) as info:
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A3", "A2", "A1")
        )
    assert info.value.extra["seats"] == [
        {"id": seat(show, "A1").pk, "label": "A1"},
        {"id": seat(show, "A3").pk, "label": "A3"},
    ]
    assert counts() == before


@pytest.mark.parametrize(
    ("seat_ids", "error"),
    [
        (lambda show, other: [], exceptions.NoSeatsChosen),
        (lambda show, other: seat_ids(show, "A1", "A1"), exceptions.DuplicateSeats),
        (lambda show, other: [*seat_ids(show, "A1"), 999999], exceptions.InvalidSeats),
        (lambda show, other: [other.hall.seats.first().pk], exceptions.InvalidSeats),
        (
            lambda show, other: list(show.hall.seats.values_list("pk", flat=True)[:11]),
            exceptions.TooManySeats,
        ),
    ],
    ids=["empty", "duplicate", "unknown", "other-hall", "too-many"],
)
def test_reservation_create_bad_seat_lists_are_400_and_write_nothing(
    show, customer, counts, seat_ids, error
):
    other = ShowtimeFactory()
    before = counts()
    with pytest.raises(error) as info:
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, other)
        )
    assert http_status(info.value) == 400
    assert counts() == before


def test_reservation_create_invalid_seats_are_named(show, customer):
    with pytest.raises(exceptions.InvalidSeats) as info:
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=[*seat_ids(show, "A1"), 999998, 999999]
        )
    assert info.value.extra["seats"] == [999998, 999999]


def test_reservation_create_started_or_past_cutoff_is_closed(customer, counts, settings):
    started = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(minutes=1))
    soon = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(minutes=20))
    settings.BOOKING_CUTOFF_MINUTES = 30
    before = counts()
    for show in (started, soon):
        with pytest.raises(exceptions.ShowtimeClosed):
            services.reservation_create(
                user=customer, showtime_id=show.pk, seat_ids=[show.hall.seats.first().pk]
            )
    assert counts() == before


def test_reservation_create_unknown_showtime(customer):
    with pytest.raises(exceptions.ShowtimeNotFound):
        services.reservation_create(user=customer, showtime_id=999999, seat_ids=[1])


def test_reservation_create_per_customer_cap_counts_live_seats_only(show, customer, settings):
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 3
    first = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "A2")])
    with pytest.raises(exceptions.SeatLimitExceeded) as info:
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "B1", "B2")
        )
    assert info.value.extra["owned"] == 2
    # Another customer is not affected, and a cancelled reservation frees the quota.
    book(showtime=show, seats=[seat(show, "B1"), seat(show, "B2"), seat(show, "B3")])
    services.reservation_cancel(reservation=first, by=customer)
    services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "C1", "C2", "C3")
    )


def test_reservation_create_expired_hold_frees_its_seats_for_others(show, customer):
    past = timezone.now() - dt.timedelta(hours=1)
    hold = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), hold=True, now=past
    ).reservation
    other = services.reservation_create(
        user=UserFactory(), showtime_id=show.pk, seat_ids=seat_ids(show, "A1")
    ).reservation
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.EXPIRED
    assert hold.seats.get().active is None
    assert other.seats.get().active is True


def test_reservation_create_integrity_error_becomes_seats_unavailable(show, customer, counts):
    """The unique key is the last line of defence: if the check under the lock missed a
    claim, the insert fails and the answer is still the 409."""
    book(showtime=show, seats=[seat(show, "A2")])
    before = counts()
    # The check under the lock misses every claim.
    with (
        mock.patch.object(services.queries.claims_in_the_way, "rows", return_value=[]),
        pytest.raises(exceptions.SeatsUnavailable) as info,
    ):
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1", "A2")
        )
    assert info.value.extra["seats"] == [{"id": seat(show, "A2").pk, "label": "A2"}]
    assert counts() == before


def test_reservation_create_idempotency_key_returns_the_first_reservation(show, customer):
    first = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), idempotency_key="k-1"
    ).reservation
    again = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), idempotency_key="k-1"
    ).reservation
    assert again.pk == first.pk
    assert Reservation.objects.count() == 1
    # The same key from another customer is another key.
    services.reservation_create(
        user=UserFactory(),
        showtime_id=show.pk,
        seat_ids=seat_ids(show, "A2"),
        idempotency_key="k-1",
    )
    assert Reservation.objects.count() == 2


def test_reservation_create_idempotency_key_with_another_body_is_refused(show, customer, counts):
    services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), idempotency_key="k-2"
    )
    before = counts()
    with pytest.raises(exceptions.IdempotencyKeyReused):
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A2"), idempotency_key="k-2"
        )
    assert counts() == before


def test_reservation_create_failed_booking_does_not_keep_its_key(show, customer):
    book(showtime=show, seats=[seat(show, "A1")])
    for _ in range(2):
        with pytest.raises(exceptions.SeatsUnavailable):
            services.reservation_create(
                user=customer,
                showtime_id=show.pk,
                seat_ids=seat_ids(show, "A1"),
                idempotency_key="k",
            )
    assert not IdempotencyKey.objects.exists()


def test_reservation_create_stale_idempotency_key_is_replaced(show, customer, settings):
    first = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), idempotency_key="old"
    ).reservation
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    second = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A2"), idempotency_key="old"
    ).reservation
    assert second.pk != first.pk
    assert IdempotencyKey.objects.get().reservation_id == second.pk


def test_reservation_confirm_live_hold(show, customer):
    hold = book(user=customer, showtime=show, hold=True)
    confirmed = services.reservation_confirm(reservation=hold, user=customer)
    assert confirmed.status == ReservationStatus.CONFIRMED
    assert confirmed.expires_at is None
    assert confirmed.seats.get().hold_expires_at is None
    # A confirmed seat never expires.
    services.holds_expire(now=timezone.now() + dt.timedelta(days=1))
    assert ReservationSeat.objects.get().active is True


def test_reservation_confirm_expired_hold_is_409_and_writes_nothing(show, customer):
    hold = book(user=customer, showtime=show, hold=True)
    Reservation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    ReservationSeat.objects.update(hold_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(exceptions.HoldExpired):
        services.reservation_confirm(reservation=hold, user=customer)
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.HELD  # left for expiry, nothing written


@pytest.mark.parametrize(
    ("prepare", "error"),
    [
        (lambda r, u: None, exceptions.AlreadyConfirmed),
        (
            lambda r, u: services.reservation_cancel(reservation=r, by=u),
            exceptions.AlreadyCancelled,
        ),
    ],
    ids=["confirmed", "cancelled"],
)
def test_reservation_confirm_not_held_is_409(show, customer, prepare, error):
    reservation = book(user=customer, showtime=show)
    prepare(reservation, customer)
    with pytest.raises(error) as info:
        services.reservation_confirm(reservation=reservation, user=customer)
    assert http_status(info.value) == 409


def test_reservation_confirm_by_someone_else_is_refused(show, customer):
    hold = book(user=customer, showtime=show, hold=True)
    for other in (UserFactory(), AdminFactory()):
        with pytest.raises(exceptions.NotReservationOwner):
            services.reservation_confirm(reservation=hold, user=other)


def test_reservation_cancel_frees_seats_and_keeps_history(show, customer):
    reservation = book(user=customer, showtime=show, seats=[seat(show, "A1"), seat(show, "C1")])
    cancelled = services.reservation_cancel(reservation=reservation, by=customer)
    assert cancelled.status == ReservationStatus.CANCELLED
    assert cancelled.cancelled_at is not None
    assert cancelled.total_price == Decimal("25.50")
    assert sorted(c.price for c in cancelled.seats.all()) == [Decimal("10.00"), Decimal("15.50")]
    assert not ReservationSeat.objects.filter(active=True).exists()
    again = book(showtime=show, seats=[seat(show, "A1")])
    assert again.status == ReservationStatus.CONFIRMED


def test_reservation_cancel_rules(show, customer, settings):
    reservation = book(user=customer, showtime=show)
    with pytest.raises(exceptions.NotReservationOwner):
        services.reservation_cancel(reservation=reservation, by=UserFactory())
    services.reservation_cancel(reservation=reservation, by=AdminFactory())
    with pytest.raises(exceptions.AlreadyCancelled):
        services.reservation_cancel(reservation=reservation, by=customer)

    started = book(user=customer, showtime=show)
    with pytest.raises(exceptions.ShowtimeClosed):
        services.reservation_cancel(
            reservation=started, by=customer, now=show.start_time + dt.timedelta(minutes=1)
        )
    assert ReservationSeat.objects.filter(reservation=started, active=True).exists()


def test_reservation_cancel_expired_hold_is_409(show, customer):
    hold = book(user=customer, showtime=show, hold=True)
    with pytest.raises(exceptions.HoldExpired):
        services.reservation_cancel(
            reservation=hold, by=customer, now=timezone.now() + dt.timedelta(hours=1)
        )


def test_holds_expire_marks_lapsed_holds_and_frees_seats(show, customer):
    live = book(showtime=show, seats=[seat(show, "A1")], hold=True)
    lapsed = services.reservation_create(
        user=customer,
        showtime_id=show.pk,
        seat_ids=seat_ids(show, "A2", "A3"),
        hold=True,
        now=timezone.now() - dt.timedelta(hours=1),
    ).reservation
    assert services.holds_expire() == (1, 2)
    lapsed.refresh_from_db()
    live.refresh_from_db()
    assert lapsed.status == ReservationStatus.EXPIRED
    assert live.status == ReservationStatus.HELD
    assert ReservationSeat.objects.filter(active=True).count() == 1
    assert services.holds_expire() == (0, 0)


def test_idempotency_keys_purge_deletes_only_stale_keys(show, customer):
    for key, label in (("a", "A1"), ("b", "A2")):
        services.reservation_create(
            user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, label), idempotency_key=key
        )
    IdempotencyKey.objects.filter(key="a").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert services.idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["b"]


def test_reservation_create_own_lapsed_hold_does_not_count_against_the_cap(
    show, customer, settings
):
    settings.MAX_SEATS_PER_CUSTOMER_PER_SHOWTIME = 2
    past = timezone.now() - dt.timedelta(hours=1)
    lapsed = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "A1", "A2"), hold=True, now=past
    ).reservation

    booked = services.reservation_create(
        user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "B1", "B2")
    ).reservation

    assert booked.status == ReservationStatus.CONFIRMED
    # The lapsed hold was not in the way, so it was left for `expire_holds`; it blocks
    # nothing: its seats can be booked by someone else at once.
    other = services.reservation_create(
        user=UserFactory(), showtime_id=show.pk, seat_ids=seat_ids(show, "A2")
    ).reservation
    assert other.seats.get().active is True
    lapsed.refresh_from_db()
    assert lapsed.status == ReservationStatus.EXPIRED
    assert not lapsed.seats.filter(active=True).exists()


def test_reservation_create_lapsed_hold_elsewhere_costs_no_update(show, customer):
    past = timezone.now() - dt.timedelta(hours=1)
    lapsed = services.reservation_create(
        user=UserFactory(), showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), hold=True, now=past
    ).reservation

    services.reservation_create(user=customer, showtime_id=show.pk, seat_ids=seat_ids(show, "B1"))

    lapsed.refresh_from_db()
    assert lapsed.status == ReservationStatus.HELD  # untouched, yet free for everyone
    assert services.holds_expire() == (1, 1)

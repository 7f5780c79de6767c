"""The cinema cancelling a screening under real concurrency (MariaDB; threads released
by a barrier, each with its own connection): bookings racing the cancel, and two cancels
at once (a double click, or the API and the admin)."""

from collections import Counter

import pytest

from bookings import services as booking_services
from bookings.exceptions import ShowtimeCancelled
from bookings.models import Reservation, ReservationSeat, ReservationStatus, ShowtimeCounters
from bookings.tests.factories import book, seat_ids
from notifications.models import OutboxEmail
from testsupport.testing import requires_mysql_marks, run_concurrently
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]

REASON = "The projector broke down."


def test_bookings_racing_the_cancel_end_cancelled_or_refused(show):
    book(showtime=show, seats=[show.hall.seats.get(row="C", number=4)])
    customers = [UserFactory() for _ in range(4)]
    labels = ["A1", "A2", "B1", "B2"]

    def party(i: int):
        if i == 0:
            return booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by="t")
        return booking_services.reservation_create(
            user=customers[i - 1], showtime_id=show.pk, seat_ids=seat_ids(show, labels[i - 1])
        )

    results = run_concurrently(party, 5)

    assert not isinstance(results[0], BaseException), results[0]
    for result in results[1:]:
        assert not isinstance(result, BaseException) or isinstance(result, ShowtimeCancelled)
    # Whichever won each race, nothing of the screening stays sold.
    assert not Reservation.objects.filter(
        showtime=show, status__in=[ReservationStatus.HELD, ReservationStatus.CONFIRMED]
    ).exists()
    assert not ReservationSeat.objects.filter(showtime=show, active=True).exists()
    assert ShowtimeCounters.objects.get(pk=show.pk).sold == 0


def test_two_cancels_at_once_cancel_each_reservation_once(show):
    reservations = [book(showtime=show, seats=[seat]) for seat in show.hall.seats.all()[:6]]

    def cancel(i: int):
        return booking_services.showtime_cancel(showtime_id=show.pk, reason=REASON, by=i)

    results = run_concurrently(cancel, 2)

    done = [r for r in results if not isinstance(r, BaseException)]
    assert done, results
    assert all(isinstance(r, ShowtimeCancelled) for r in results if isinstance(r, BaseException))
    assert sum(r.reservations_cancelled for r in done) == len(reservations)
    assert set(Reservation.objects.filter(showtime=show).values_list("status", flat=True)) == {
        ReservationStatus.CANCELLED
    }
    emails = Counter(
        message.context["reservation"]
        for message in OutboxEmail.objects.filter(kind="reservation_cancelled")
    )
    assert emails == {reservation.pk: 1 for reservation in reservations}

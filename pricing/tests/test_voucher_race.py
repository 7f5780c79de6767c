"""A voucher's last uses under a rush, on MariaDB: threads released together by a
barrier, each with its own connection, on four showtimes (so the showtime locks do not
serialise them: the voucher's row lock must)."""

from collections import Counter
from decimal import Decimal

import pytest

from bookings import services
from bookings.models import Reservation
from bookings.tests.factories import seat
from cinema.tests.factories import HallFactory, ShowtimeFactory
from pricing.models import DiscountKind
from pricing.tests.factories import VoucherFactory
from testsupport.testing import client_for, requires_mysql_marks, run_concurrently
from users.tests.factories import UserFactory

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


def test_twenty_buyers_for_the_last_five_uses_exactly_five_get_the_discount():
    voucher = VoucherFactory(
        code="SCHOOL24", kind=DiscountKind.PERCENT, value=Decimal("50"), max_uses=8
    )
    shows = [
        ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 12})) for _ in range(4)
    ]
    # Three live uses and a cancelled one (which gave its use back): five are left.
    earlier = UserFactory()
    for label in ("A1", "A2", "A3"):
        services.reservation_create(
            user=earlier,
            showtime_id=shows[0].pk,
            seat_ids=[seat(shows[0], label).pk],
            voucher="SCHOOL24",
        )
    cancelled = services.reservation_create(
        user=earlier,
        showtime_id=shows[1].pk,
        seat_ids=[seat(shows[1], "A1").pk],
        voucher="school24",
    ).reservation
    services.reservation_cancel(reservation=cancelled, by=earlier)
    buyers = [client_for(UserFactory()) for _ in range(20)]

    def buy(i):
        show = shows[i % 4]  # five buyers a showtime, each for a seat of their own
        body = {"showtime": show.pk, "seats": [seat(show, f"A{6 + i // 4}").pk]}
        response = buyers[i].post(
            "/api/reservations/", {**body, "voucher": "school24"}, format="json"
        )
        return response.status_code, response.json().get("code")

    results = run_concurrently(buy, 20)

    outcomes = Counter(results)
    assert outcomes == {(201, None): 5, (409, "voucher_exhausted"): 15}, outcomes
    live = Reservation.objects.filter(voucher=voucher).exclude(status="CANCELLED")
    assert live.count() == 8
    # The five who got it paid half price; the others booked nothing.
    assert live.filter(total_price=Decimal("5.00")).count() == 8

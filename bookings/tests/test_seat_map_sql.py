"""The seat map reads with prepared queries and per-hall seat templates
(docs/performance.md); its answer must stay what the models say."""

from decimal import Decimal

import pytest
from rest_framework import serializers

from bookings.tests.factories import book, seat
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


def _seat_map(client, show):
    response = client.get(f"/api/showtimes/{show.pk}/seats/")
    assert response.status_code == 200
    return response.json()


def test_seat_map_showtime_block_matches_the_model(anon_client):
    show = ShowtimeFactory(
        hall=HallFactory(layout={"rows": 2, "seats_per_row": 2, "vip_rows": ["B"]}),
        price=Decimal("9.50"),
        vip_price=Decimal("12.05"),
    )
    show.refresh_from_db()
    field = serializers.DateTimeField()
    assert _seat_map(anon_client, show)["showtime"] == {
        "id": show.pk,
        "movie": {"id": show.movie_id, "title": show.movie.title},
        "hall": {"id": show.hall_id, "name": show.hall.name},
        "start_time": field.to_representation(show.start_time),
        "end_time": field.to_representation(show.end_time),
        "price": "9.50",
        "vip_price": "12.05",
        "bookable": True,
        "cancelled": False,
    }


def test_seat_map_shows_a_changed_price_at_once(anon_client):
    show = ShowtimeFactory(
        hall=HallFactory(layout={"rows": 2, "seats_per_row": 2, "vip_rows": ["B"]}),
        price=Decimal("10.00"),
        vip_price=Decimal("15.00"),
    )
    book(showtime=show, seats=[seat(show, "A1")])
    before = {s["label"]: s for s in _seat_map(anon_client, show)["seats"]}
    assert (before["A1"]["price"], before["A1"]["status"]) == ("10.00", "booked")
    assert before["B2"]["price"] == "15.00"

    Showtime.objects.filter(pk=show.pk).update(price=Decimal("7.25"), vip_price=Decimal("20"))
    after = {s["label"]: s for s in _seat_map(anon_client, show)["seats"]}
    assert (after["A1"]["price"], after["A1"]["status"]) == ("7.25", "booked")
    assert (after["A2"]["price"], after["A2"]["status"]) == ("7.25", "available")
    assert after["B2"]["price"] == "20.00"


def test_seat_map_answers_are_not_shared_between_requests(anon_client):
    show = ShowtimeFactory(hall=HallFactory(layout={"rows": 1, "seats_per_row": 3}))
    first = _seat_map(anon_client, show)
    book(showtime=show, seats=[seat(show, "A2")])
    second = _seat_map(anon_client, show)
    assert [s["status"] for s in first["seats"]] == ["available"] * 3
    assert [s["status"] for s in second["seats"]] == ["available", "booked", "available"]


@pytest.mark.parametrize("showtime_id", [0, 2**63, 10**25])
def test_seat_map_out_of_range_id_is_404(anon_client, showtime_id):
    response = anon_client.get(f"/api/showtimes/{showtime_id}/seats/")
    assert response.status_code == 404

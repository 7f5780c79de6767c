"""The catalogue asks for availability through its signal (cinema/availability.py):
without an answer every seat is free, and two answers are a wiring mistake."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Value

from cinema import selectors, signals
from cinema.models import Showtime
from cinema.tests.factories import HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    return ShowtimeFactory(hall=HallFactory(layout={"rows": 3, "seats_per_row": 4}))


def test_without_an_answer_every_seat_is_free(show, monkeypatch):
    monkeypatch.setattr(signals.seats_available, "receivers", [])

    assert selectors.showtime_list().get(pk=show.pk).available_seats == 12


def test_an_app_without_an_answer_leaves_the_answer_to_the_others(show):
    def no_answer(sender, **kwargs):
        return None

    signals.seats_available.connect(no_answer, sender=Showtime, weak=False)
    try:
        assert selectors.showtime_list().get(pk=show.pk).available_seats == 12
    finally:
        signals.seats_available.disconnect(no_answer, sender=Showtime)


def test_two_answers_are_refused(show):
    def another_answer(sender, **kwargs):
        return Value(1)

    signals.seats_available.connect(another_answer, sender=Showtime, weak=False)
    try:
        with pytest.raises(ImproperlyConfigured):
            selectors.showtime_list().get(pk=show.pk)
    finally:
        signals.seats_available.disconnect(another_answer, sender=Showtime)

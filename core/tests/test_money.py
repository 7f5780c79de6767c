"""core.money: the columns, the sums, the rounding rule and the minor units."""

from decimal import Decimal, Inexact
from io import StringIO

import pytest
from django.core.management import call_command

from bookings.models import Reservation, ReservationSeat
from cinema.models import Showtime
from core import money
from payments.models import Payment


@pytest.mark.parametrize(
    "model, field, digits",
    [
        (Showtime, "price", 8),
        (Showtime, "vip_price", 8),
        (ReservationSeat, "price", 8),
        (Reservation, "total_price", 10),
        (Payment, "amount", 10),
    ],
)
def test_money_columns_keep_their_digits_and_two_places(model, field, digits):
    column = model._meta.get_field(field)
    assert (column.max_digits, column.decimal_places) == (digits, 2)


@pytest.mark.django_db
def test_money_columns_need_no_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 otherwise
    assert "No changes detected" in out.getvalue()


def test_money_sum_is_exact_and_two_places_for_nothing():
    assert money.money_sum([]) == Decimal("0.00")
    assert str(money.money_sum([])) == "0.00"
    # 0.1 + 0.2 is exactly 0.30 in Decimal; the same in floats is not.
    assert str(money.money_sum([Decimal("0.10"), Decimal("0.20")])) == "0.30"
    assert money.money_sum(Decimal("12.50") for _ in range(3)) == Decimal("37.50")


def test_money_sum_refuses_a_float_and_any_rounding():
    with pytest.raises(TypeError):
        money.money_sum([Decimal("1.00"), 0.1])
    with pytest.raises(Inexact):  # 29 significant digits do not fit the context's 28
        money.money_sum([Decimal("1" * 27 + ".00"), Decimal("0.01")])


@pytest.mark.parametrize(
    "value, expected",
    [
        ("12.5", "12.50"),
        (12, "12.00"),
        ("0.125", "0.12"),  # half to even
        ("0.135", "0.14"),
        ("30.000000000000004", "30.00"),  # a float's noise from a database sum
    ],
)
def test_cents_rounds_half_to_even(value, expected):
    assert str(money.cents(Decimal(value) if isinstance(value, str) else value)) == expected


@pytest.mark.parametrize(
    "amount, currency, units",
    [
        ("24.00", "EUR", 2400),
        ("0.01", "eur", 1),
        ("30.00", "JPY", 30),
        ("30.50", "JPY", 30),  # half to even, as before
        ("31.50", "JPY", 32),
    ],
)
def test_to_minor(amount, currency, units):
    assert money.to_minor(Decimal(amount), currency) == units


@pytest.mark.parametrize(
    "units, currency, amount", [(2400, "EUR", "24.00"), (1, "EUR", "0.01"), (30, "JPY", "30.00")]
)
def test_from_minor(units, currency, amount):
    assert str(money.from_minor(units, currency)) == amount


def test_a_three_decimal_currency_is_refused_rather_than_charged_a_tenth():
    with pytest.raises(ValueError, match="KWD has three decimals"):
        money.to_minor(Decimal("1.00"), "KWD")


@pytest.mark.parametrize(
    "amount, percent, expected",
    [
        ("7.50", "15", "1.12"),  # 1.125: half to even, down
        ("7.70", "15", "1.16"),  # 1.155: half to even, up
        ("12.00", "15", "1.80"),
        ("10.00", "12.5", "1.25"),
        ("0.05", "50", "0.02"),  # 0.025
        ("9.99", "100", "9.99"),
    ],
)
def test_percent_of_rounds_by_the_one_rule(amount, percent, expected):
    assert str(money.percent_of(Decimal(amount), Decimal(percent))) == expected


@pytest.mark.parametrize(
    "amount, weights, shares",
    [
        ("10.00", ["12.00", "12.00", "7.50", "7.50"], ["3.08", "3.08", "1.92", "1.92"]),
        ("0.05", ["1.00", "1.00", "1.00"], ["0.02", "0.02", "0.01"]),
        ("30.00", ["12.00", "18.00"], ["12.00", "18.00"]),
        ("0.01", ["0.01", "5.00"], ["0.00", "0.01"]),
        ("5.00", ["0.00", "10.00"], ["0.00", "5.00"]),
    ],
)
def test_allocate_splits_to_the_cent_and_adds_up_exactly(amount, weights, shares):
    result = money.allocate(Decimal(amount), [Decimal(w) for w in weights])

    assert [str(share) for share in result] == shares
    assert money.money_sum(result) == Decimal(amount)
    assert all(share <= Decimal(w) for share, w in zip(result, weights, strict=True))


def test_allocate_refuses_more_than_the_weights():
    with pytest.raises(ValueError):
        money.allocate(Decimal("10.01"), [Decimal("10.00")])

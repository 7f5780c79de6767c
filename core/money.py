"""Money: the one home for amounts (STYLE.md; Saleor's ``prices`` helpers are the model).

- **What an amount is.** A ``Decimal`` with two places, in ``settings.CURRENCY``, never
  a float. A price is one seat's (``PRICE_DIGITS``); an amount is a reservation's total
  or a payment (``AMOUNT_DIGITS``); a figure is a report's sum over many
  (``FIGURE_DIGITS``). Columns are made by ``money_field`` (the digits are the only
  thing that differs from one to the next).
- **Sums.** ``money_sum`` in Python and ``money_total`` in the database; both exact. A
  reservation's total is summed once, when it is booked (``bookings.services._persist``),
  and that total is what the provider charges.
- **The rounding rule.** ``cents``: to the cent, half to even (``ROUND_HALF_EVEN``), the
  rule of Python's default decimal context and of Django's DecimalField, which the code
  always used without saying so. Prices enter with at most two places (the API, the
  admin and the columns refuse more), and sums of them are exact, so no amount Marquee
  computes ever has a half cent to round: the rule only drops the noise a database adds
  (SQLite's SUM in floating point; every sum read from the database goes through
  ``cents``) and the trailing places of a zero-decimal currency.
- **Percentages and shares** (discounts, docs/pricing.md): ``percent_of`` is a
  percentage of one price to the cent by the same rule (15 % of 7.50 is 1.125, so
  1.12; of 7.70, 1.155, so 1.16); ``allocate`` splits an amount over prices in
  proportion, to the cent, with the cents left by rounding down given to the largest
  remainders, so the shares add up to the amount exactly and none exceeds its price.
- **Minor units** for the payment provider: ``to_minor`` and ``from_minor`` (cents, or
  whole units for the currencies Stripe counts without a minor unit,
  ``core.currencies``). A currency of three decimals is refused here as it is at start-up
  (config/settings.py): prices have two places, so it would charge a tenth.
- **Amounts for people** (emails, printed papers): ``format_money``, in the cinema's
  locale (``LANGUAGE_CODE``) and currency, by Babel's CLDR data: "€1,234.50" in English,
  "1.234,50 €" in German.
"""

from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, Inexact, localcontext

from babel.numbers import format_currency
from django.conf import settings
from django.db import models
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import to_locale

from core.currencies import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES

PLACES = 2
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ROUNDING = ROUND_HALF_EVEN

PRICE_DIGITS = 8  # one seat's price: at most 999 999.99
AMOUNT_DIGITS = 10  # a reservation's total, a payment: at most 99 999 999.99
FIGURE_DIGITS = 14  # a report's sum over many reservations or payments


def money_field(*, max_digits: int = AMOUNT_DIGITS, **kwargs) -> models.DecimalField:
    """A model column for money: ``DecimalField(max_digits, decimal_places=2)`` and any
    other keyword (default, validators...)."""
    return models.DecimalField(max_digits=max_digits, decimal_places=PLACES, **kwargs)


def cents(value) -> Decimal:
    """``value`` (a Decimal, an int, a numeric string) to the cent, by the one rule."""
    return Decimal(value).quantize(CENT, rounding=ROUNDING)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``amount``, to the cent by the one rule (``cents``)."""
    return cents(Decimal(amount) * Decimal(percent) / 100)


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split over ``weights`` (prices) in proportion, to the cent: each share
    rounded down, then the cents left one each to the largest remainders (the first
    on a tie). The shares add up to ``amount`` exactly; ``amount`` may not exceed the
    weights' sum, and then no share exceeds its weight."""
    total = money_sum(weights)
    if amount > total:
        raise ValueError(f"cannot allocate {amount} over {total}")
    if not total:
        return [ZERO for _ in weights]
    exact = [Decimal(amount) * weight / total for weight in weights]
    shares = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    left = int((Decimal(amount) - money_sum(shares)) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[:left]:
        shares[i] += CENT
    return shares


def money_sum(amounts: Iterable[Decimal]) -> Decimal:
    """The sum of ``amounts``, exactly (0.00 for none). Decimal addition is exact at these
    sizes; if it ever had to round, this raises ``decimal.Inexact`` rather than return a
    different amount. A float among them is a TypeError, as in any Decimal sum."""
    with localcontext() as context:
        context.traps[Inexact] = True
        return sum(amounts, ZERO)


def money_total(expression, **extra) -> Sum:
    """The database's SUM of a money column or expression, 0.00 when there are no rows
    (a figure: ``FIGURE_DIGITS``). Exact on MariaDB (DECIMAL arithmetic); SQLite sums in
    floating point and hands back what it got, so read the result through ``cents``."""
    return Sum(
        expression, default=ZERO, output_field=money_field(max_digits=FIGURE_DIGITS), **extra
    )


def money_or_zero(expression) -> Coalesce:
    """A money expression that may be NULL (e.g. a subquery's ``money_total`` over no
    group at all), as 0.00 instead (a figure: ``FIGURE_DIGITS``)."""
    return Coalesce(expression, Value(ZERO), output_field=money_field(max_digits=FIGURE_DIGITS))


def _minor_exponent(currency: str) -> int:
    code = currency.upper()
    if code in THREE_DECIMAL_CURRENCIES:
        raise ValueError(f"{code} has three decimals; Marquee's amounts have two")
    return 0 if code in ZERO_DECIMAL_CURRENCIES else PLACES


def to_minor(amount: Decimal, currency: str) -> int:
    """An amount in the currency's smallest unit, as Stripe wants it (24.00 EUR -> 2400,
    30.00 JPY -> 30)."""
    scaled = amount * (10 ** _minor_exponent(currency))
    return int(scaled.to_integral_value(rounding=ROUNDING))


def from_minor(units: int, currency: str) -> Decimal:
    """An amount in minor units (as Stripe reports it) back in the currency, to the cent
    (2400 EUR -> 24.00, 30 JPY -> 30.00)."""
    return cents(Decimal(units).scaleb(-_minor_exponent(currency)))


def format_money(amount: Decimal, currency: str | None = None) -> str:
    """``amount`` as people read it in the cinema's locale, with its currency:
    "€10.00" (English), "10,00 €" (German). Two places, or none for a zero-decimal
    currency, as Stripe charges it."""
    currency = currency or settings.CURRENCY
    return format_currency(
        amount, currency, locale=to_locale(settings.LANGUAGE_CODE), currency_digits=True
    )

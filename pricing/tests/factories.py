from decimal import Decimal

import factory

from cinema.models import PriceList, TicketPrice, TicketType
from cinema.services import price_list_default
from pricing.models import DiscountKind, Voucher


def default_list() -> PriceList:
    """The default list, made again (with Adult) where a transactional test's flush
    removed what the migration made."""
    return price_list_default()


def ticket_type(
    code: str,
    name: str,
    *,
    price_list: PriceList | None = None,
    max_age: int | None = None,
    **prices: str,
) -> TicketType:
    """A ticket type in ``price_list`` (the default list) with prices per seat type:
    ``ticket_type("child", "Child", max_age=12, STANDARD="7.50", VIP="11.00")``."""
    price_list = price_list or default_list()
    position = price_list.ticket_types.count()
    kind = TicketType.objects.create(
        price_list=price_list, code=code, name=name, max_age=max_age, position=position
    )
    for seat_type, amount in prices.items():
        TicketPrice.objects.create(ticket_type=kind, seat_type=seat_type, amount=Decimal(amount))
    return kind


def family_prices() -> None:
    """Child (under 12) at 7.50 / 11.00 and Student at 8.00 in the default list."""
    ticket_type("child", "Child", max_age=12, STANDARD="7.50", VIP="11.00")
    ticket_type("student", "Student", STANDARD="8.00")


class VoucherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Voucher

    code = factory.Sequence(lambda n: f"CODE{n}")
    kind = DiscountKind.PERCENT
    value = Decimal("10.00")

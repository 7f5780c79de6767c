"""How the demo pays (``manage.py seed_demo`` and ``demo_ticket`` with PAYMENT_REQUIRED
on): at the box office, taken by the first admin, as of the moment the sale was made."""

import datetime as dt

from payments.models import Method
from payments.services import payment_take_at_box_office
from users.models import Role, User


def pay_demo_sale(*, reservation_id: int, now: dt.datetime | None = None) -> None:
    payment_take_at_box_office(
        reservation_id=reservation_id,
        method=Method.CARD_TERMINAL,
        staff=User.objects.filter(role=Role.ADMIN).order_by("pk").first(),
        now=now,
    )

"""Reads of vouchers for staff."""

from datetime import datetime

from django.db.models import QuerySet

from pricing.models import Voucher


def voucher_list() -> QuerySet[Voucher]:
    return Voucher.objects.select_related("movie", "showtime").order_by("code_key")


def voucher_uses(voucher: Voucher, *, now: datetime) -> int:
    """Its uses now: its live reservations (CONFIRMED, or a hold not lapsed)."""
    return voucher.reservations.live(now).count()

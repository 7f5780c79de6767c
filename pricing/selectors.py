"""Reads of vouchers for staff."""

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pricing.models import Voucher


def voucher_list(*, now: datetime | None = None) -> QuerySet[Voucher]:
    """Vouchers with their uses at ``now`` (``live_uses``) counted in the same query."""
    # The engine's reservations, through the relation (pricing sits below bookings),
    # and its one rule for a live one.
    reservations = Voucher.reservations.rel.related_model.objects
    live = (
        reservations.filter(voucher=OuterRef("pk"))
        .live(now or timezone.now())
        .order_by()
        .values("voucher")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Voucher.objects.select_related("movie", "showtime")
        .annotate(live_uses=Coalesce(Subquery(live, output_field=IntegerField()), Value(0)))
        .order_by("code_key")
    )


def voucher_uses(voucher: Voucher, *, now: datetime) -> int:
    """Its uses now: its live reservations (CONFIRMED, or a hold not lapsed); counted by
    ``voucher_list`` where it was read from there."""
    counted = getattr(voucher, "live_uses", None)
    return counted if counted is not None else voucher.reservations.live(now).count()

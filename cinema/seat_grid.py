"""The seat grid the admin draws: a hall's layout on the hall's page, and (with each
seat's status) a showtime's live seat map on the showtime's page (bookings/admin.py).
One template, cinema/seat_grid.html, for both; rows run from the screen (row A) back."""

from collections import Counter
from collections.abc import Iterable, Mapping

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from cinema.models import SeatType


def seat_grid_html(
    seats: Iterable[Mapping],
    *,
    caption: str,
    counts: Mapping[str, int] | None = None,
    inside: int | None = None,
    unsold_label: str = "available",
) -> SafeString:
    """``seats`` in hall order, each with ``row``, ``number``, ``label``, ``seat_type`` and,
    for a showtime, ``status`` (and ``inside`` for a seat whose ticket was checked in);
    ``counts`` per status and ``inside``, the number checked in, for the legend, which
    calls the free seats ``unsold_label`` (a showtime no longer on sale has none
    available: "not sold")."""
    rows: dict[str, list[Mapping]] = {}
    kinds: Counter[str] = Counter()
    for seat in seats:
        rows.setdefault(seat["row"], []).append(seat)
        kinds[seat["seat_type"]] += 1
    context = {
        "caption": caption,
        "rows": [{"row": row, "seats": row_seats} for row, row_seats in rows.items()],
        "counts": counts,
        "inside": inside,
        "unsold_label": unsold_label,
        "kinds": [
            {"seat_type": kind.value, "label": kind.label, "count": kinds[kind.value]}
            for kind in SeatType
            if kinds[kind.value]
        ],
    }
    return render_to_string("cinema/seat_grid.html", context)

"""Staff pages in the Django admin: the reports page (/admin/reports/) and the seat map
shown on a showtime's change page. Charts are SVG rendered on the server: no script,
nothing from a CDN."""

from collections.abc import Collection
from decimal import Decimal

from django.contrib import admin
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString

from bookings.reports.selectors import stats_report
from bookings.reports.serializers import StatsQuerySerializer
from bookings.selectors import showtime_seat_map
from cinema.models import Showtime

CHART_WIDTH = 960
CHART_HEIGHT = 220
CHART_PADDING = {"top": 20, "right": 10, "bottom": 40, "left": 70}


def _bar_chart(points: list[tuple[str, float]], *, value_label, max_value=None) -> dict:
    """Geometry for a bar chart of (label, value): one bar per point, a few y ticks."""
    left, top = CHART_PADDING["left"], CHART_PADDING["top"]
    inner_w = CHART_WIDTH - left - CHART_PADDING["right"]
    inner_h = CHART_HEIGHT - top - CHART_PADDING["bottom"]
    top_value = max_value or max((value for _, value in points), default=0) or 1
    slot = inner_w / max(len(points), 1)
    label_every = max(1, len(points) // 15)
    bars = []
    for index, (label, value) in enumerate(points):
        height = inner_h * (value / top_value)
        bars.append(
            {
                "x": round(left + index * slot + slot * 0.1, 2),
                "y": round(top + inner_h - height, 2),
                "width": round(max(slot * 0.8, 1), 2),
                "height": round(height, 2),
                "label": label,
                "title": f"{label}: {value_label(value)}",
                "show_label": index % label_every == 0,
                "label_x": round(left + index * slot + slot / 2, 2),
            }
        )
    ticks = [
        {
            "y": round(top + inner_h - inner_h * fraction, 2),
            "label": value_label(top_value * fraction),
        }
        for fraction in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": left,
        "right": CHART_WIDTH - CHART_PADDING["right"],
        "baseline": top + inner_h,
        "label_y": top + inner_h + 16,
        "bars": bars,
        "ticks": ticks,
    }


def reports_view(request, *, site: admin.AdminSite):
    """Occupancy and revenue per day for a range of days, with totals and per movie.
    Served by the project's admin site (config/admin.py), staff only."""
    query = StatsQuerySerializer(data={k: v for k, v in request.GET.items() if v != ""})
    errors = None
    params = {}
    if query.is_valid():
        params = query.validated_data
    else:
        errors = query.errors
    report = stats_report(
        date_from=params.get("from"),
        date_to=params.get("to"),
        movie_id=params.get("movie"),
        hall_id=params.get("hall"),
    )
    days = report.per_day
    revenue_chart = _bar_chart(
        [(day["date"].isoformat(), float(day["revenue"])) for day in days],
        value_label=lambda v: f"{Decimal(v).quantize(Decimal('0.01'))}",
    )
    occupancy_chart = _bar_chart(
        [(day["date"].isoformat(), day["occupancy"] * 100) for day in days],
        value_label=lambda v: f"{v:.0f}%",
        max_value=100,
    )
    context = {
        **site.each_context(request),
        "title": "Reports: occupancy and revenue",
        "report": report.as_dict(),
        "errors": errors,
        "revenue_chart": revenue_chart,
        "occupancy_chart": occupancy_chart,
    }
    return TemplateResponse(request, "reports/admin_reports.html", context)


def showtime_seat_map_html(showtime: Showtime, *, checked_in: Collection[int] = ()) -> SafeString:
    """The showtime's seat map as an HTML grid coloured by status (available, held,
    booked; VIP seats marked, and the seats in ``checked_in`` marked as inside), for the
    Showtime change page in the admin (bookings/admin.py, tickets/admin.py)."""
    if showtime is None or showtime.pk is None:
        return SafeString("")
    # The API's seat map itself, so staff and customers always see the same statuses.
    seat_map = showtime_seat_map(showtime_id=showtime.pk)
    rows: dict[str, list[dict]] = {}
    for seat in seat_map["seats"]:
        rows.setdefault(seat["row"], []).append({**seat, "inside": seat["id"] in checked_in})
    context = {
        "rows": [{"row": row, "seats": seats} for row, seats in rows.items()],
        "counts": seat_map["counts"],
        "inside": len(checked_in),
    }
    return render_to_string("reports/seat_map.html", context)

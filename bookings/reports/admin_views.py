"""Staff pages in the Django admin: the reports page (/admin/reports/) and the seat map
shown on a showtime's change page. Charts are SVG rendered on the server: no script,
nothing from a CDN."""

from decimal import Decimal

from django.contrib import admin
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.safestring import SafeString

from bookings.reports.selectors import showtime_seat_grid, stats_report
from bookings.reports.serializers import StatsQuerySerializer
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


def reports_view(request):
    """Occupancy and revenue per day for a range of days, with totals and per movie."""
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
        **admin.site.each_context(request),
        "title": "Reports: occupancy and revenue",
        "report": report.as_dict(),
        "errors": errors,
        "revenue_chart": revenue_chart,
        "occupancy_chart": occupancy_chart,
    }
    return TemplateResponse(request, "reports/admin_reports.html", context)


def install_admin_urls(site: admin.AdminSite = admin.site) -> None:
    """Add /admin/reports/ to the admin site (staff only, via ``admin_view``)."""
    if getattr(site, "_marquee_reports_installed", False):
        return
    original_get_urls = site.get_urls

    def get_urls():
        return [
            path("reports/", site.admin_view(reports_view), name="marquee-reports"),
            *original_get_urls(),
        ]

    site.get_urls = get_urls
    site._marquee_reports_installed = True


def showtime_seat_map_html(showtime: Showtime) -> SafeString:
    """The showtime's seat map as an HTML grid coloured by status (available, held,
    booked; VIP seats marked), for the Showtime change page in the admin."""
    if showtime is None or showtime.pk is None:
        return SafeString("")
    rows = showtime_seat_grid(showtime=showtime)
    counts = {"available": 0, "held": 0, "booked": 0}
    for row in rows:
        for seat in row["seats"]:
            counts[seat["status"]] += 1
    return render_to_string("reports/seat_map.html", {"rows": rows, "counts": counts})

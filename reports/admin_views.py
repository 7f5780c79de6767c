"""The staff reports page in the Django admin (/admin/reports/), served by the project's
admin site (config/admin.py). Charts are SVG rendered on the server: no script, nothing
from a CDN."""

import math
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats

from cinema.models import Hall, Movie
from core.errors import DomainError
from reports import exports
from reports.selectors import stats_report
from reports.serializers import (
    LedgerExportQuerySerializer,
    SalesExportQuerySerializer,
    StatsQuerySerializer,
)

CHART_WIDTH = 960
CHART_HEIGHT = 240
CHART_PADDING = {"top": 16, "right": 12, "bottom": 46, "left": 84}
CHART_MAX_LABELS = 16
FILTER_LABELS = {"from": "From", "to": "To", "movie": "Movie", "hall": "Hall"}
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(value, *, decimals: int = 2) -> str:
    """An amount in the cinema's currency (``CURRENCY``): €1,234.50, or 1,234.50 CHF
    for a currency without a symbol here."""
    text = f"{Decimal(value):,.{decimals}f}"
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY.upper())
    return f"{symbol}{text}" if symbol else f"{text} {settings.CURRENCY.upper()}"


def nice_axis(top: float, *, ticks: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``: steps of 1, 2 or 5 times a power of
    ten (0, 250, 500, 750, 1000 rather than 0, 3267.87, 6535.75 ...)."""
    top = max(top, 1.0)
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw - 1e-9)
    count = max(1, math.ceil(top / step - 1e-9))
    return [step * i for i in range(count + 1)]


def _bar_chart(days: list[dict], *, value, value_label, tick_label, ticks: list[float]) -> dict:
    """Geometry of a bar chart with one bar per day: ``value(day)`` gives its height on
    an axis running over ``ticks``. A day without showtimes is drawn as a hatched
    column (nothing was offered), unlike a day that sold nothing (a flat bar on the
    axis)."""
    left, top = CHART_PADDING["left"], CHART_PADDING["top"]
    inner_w = CHART_WIDTH - left - CHART_PADDING["right"]
    inner_h = CHART_HEIGHT - top - CHART_PADDING["bottom"]
    axis_max = ticks[-1] or 1
    slot = inner_w / max(len(days), 1)
    label_every = max(1, math.ceil(len(days) / CHART_MAX_LABELS))
    baseline = top + inner_h
    bars = []
    for index, day in enumerate(days):
        amount = value(day)
        offered = day["showtimes"] > 0
        height = inner_h * (amount / axis_max) if offered else inner_h
        if offered and height < 2:
            height = 2  # a day that sold nothing is still a bar, flat on the axis
        shows = day["showtimes"]
        bars.append(
            {
                "x": round(left + index * slot + slot * 0.1, 2),
                "y": round(baseline - height, 2),
                "width": round(max(slot * 0.8, 1), 2),
                "height": round(height, 2),
                "day": day["date"].isoformat(),
                "offered": offered,
                "title": (
                    f"{formats.date_format(day['date'], 'D j M Y')}: {value_label(amount)}, "
                    f"{shows} showtime{'' if shows == 1 else 's'}"
                    if offered
                    else f"{formats.date_format(day['date'], 'D j M Y')}: no showtimes"
                ),
                "label": formats.date_format(day["date"], "j M"),
                "show_label": index % label_every == 0,
                "label_x": round(left + index * slot + slot / 2, 2),
            }
        )
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": left,
        "right": CHART_WIDTH - CHART_PADDING["right"],
        "baseline": baseline,
        "label_y": baseline + 16,
        "x_title_y": CHART_HEIGHT - 6,
        "x_title_x": left + inner_w / 2,
        "y_title_x": 16,
        "y_title_y": top + inner_h / 2,
        "bars": bars,
        "ticks": [
            {"y": round(baseline - inner_h * (tick / axis_max), 2), "label": tick_label(tick)}
            for tick in ticks
        ],
        "has_days_off": any(not bar["offered"] for bar in bars),
    }


def _filter_errors(errors: dict) -> list[str]:
    return [
        f"{FILTER_LABELS.get(field, field.capitalize())}: {message}"
        for field, messages in errors.items()
        for message in messages
    ]


def reports_view(request, *, site: admin.AdminSite):
    """Occupancy and revenue per day for a range of days, with totals and per movie,
    for all movies and halls or one of each. Served by the project's admin site
    (config/admin.py), staff only. An invalid filter shows the filters as given and the
    error, and no figures."""
    movies = list(Movie.objects.order_by("title", "id").values_list("id", "title"))
    halls = list(Hall.objects.order_by("name", "id").values_list("id", "name"))
    given = {name: request.GET.get(name, "").strip() for name in FILTER_LABELS}
    query = StatsQuerySerializer(data={name: value for name, value in given.items() if value})
    errors: list[str] = []
    params: dict = {}
    if query.is_valid():
        params = query.validated_data
        if params.get("movie") and params["movie"] not in dict(movies):
            errors.append("Movie: choose a movie from the list.")
        if params.get("hall") and params["hall"] not in dict(halls):
            errors.append("Hall: choose a hall from the list.")
    else:
        errors = _filter_errors(query.errors)
    context = {
        **site.each_context(request),
        "title": "Reports: occupancy and revenue",
        "movies": movies,
        "halls": halls,
        "filters": given,
        "errors": errors,
    }
    if not errors:
        context.update(_report_context(params, movies=dict(movies), halls=dict(halls)))
        context["exports"] = _export_links(context["range"], params, site=site)
    return TemplateResponse(request, "reports/admin_reports.html", context)


EXPORT_LINKS = (
    ("sales", "showtime", "sales per showtime"),
    ("sales", "day", "per day"),
    ("sales", "movie", "per movie"),
    ("payments", None, "payments ledger"),
    ("shifts", None, "shift closes"),
)


def _export_links(shown: dict, params: dict, *, site: admin.AdminSite) -> list[dict]:
    """The CSV downloads of the range shown: sales with the page's movie and hall, the
    ledger of those days (every payment, whatever the movie)."""
    links = []
    for kind, by, label in EXPORT_LINKS:
        query = {"from": shown["from"], "to": shown["to"]}
        if by:
            query["by"] = by
            query.update({name: params[name] for name in ("movie", "hall") if params.get(name)})
        url = reverse(f"{site.name}:marquee-report-export-{kind}")
        links.append({"label": label, "url": f"{url}?{urlencode(query)}"})
    return links


def export_view(request, *, kind: str, site: admin.AdminSite):
    """A CSV of the reports page (the same query as the API's export), for the admin's
    session. Bad filters are a plain 400 naming them: the page's links never make one."""
    serializer = SalesExportQuerySerializer if kind == "sales" else LedgerExportQuerySerializer
    query = serializer(data={k: v for k, v in request.GET.items() if v.strip()})
    try:
        valid = query.is_valid()
    except DomainError as error:
        return HttpResponseBadRequest(str(error.detail), content_type="text/plain")
    if not valid:
        return HttpResponseBadRequest(
            "\n".join(_filter_errors(query.errors)), content_type="text/plain"
        )
    params = query.validated_data
    if kind == "sales":
        export = exports.sales_export(
            by=params["by"],
            date_from=params.get("from"),
            date_to=params.get("to"),
            movie_id=params.get("movie"),
            hall_id=params.get("hall"),
        )
    elif kind == "shifts":
        export = exports.shifts_export(date_from=params.get("from"), date_to=params.get("to"))
    else:
        export = exports.ledger_export(date_from=params.get("from"), date_to=params.get("to"))
    return exports.csv_response(export)


def _report_context(params: dict, *, movies: dict, halls: dict) -> dict:
    report = stats_report(
        date_from=params.get("from"),
        date_to=params.get("to"),
        movie_id=params.get("movie"),
        hall_id=params.get("hall"),
    )
    days = report.per_day
    top_revenue = max((float(day["revenue"]) for day in days), default=0.0)
    revenue_ticks = nice_axis(max(top_revenue, 10.0))
    whole = revenue_ticks[1] >= 1
    data = report.as_dict()
    data["totals"]["revenue_text"] = money(report.totals.revenue)
    for movie in data["per_movie"]:
        movie["revenue_text"] = money(movie["revenue"])
    prices = data["prices"]
    prices["discount_text"] = money(prices["discount"])
    for row in [*prices["per_ticket_type"], *prices["per_voucher"]]:
        row["revenue_text"], row["discount_text"] = money(row["revenue"]), money(row["discount"])
    for row in prices["per_ticket_type"]:
        row["name"] = row["ticket_type"].replace("-", " ").replace("_", " ").capitalize()
    movie_id, hall_id = params.get("movie"), params.get("hall")
    return {
        "report": data,
        "money": _money_rows(report.money),
        "subject": {
            "movie": movies.get(movie_id) if movie_id else None,
            "hall": halls.get(hall_id) if hall_id else None,
        },
        # The inputs show the range the report covers (the defaults when none was given).
        "range": {"from": report.date_from.isoformat(), "to": report.date_to.isoformat()},
        "currency": settings.CURRENCY.upper(),
        "revenue_chart": _bar_chart(
            days,
            value=lambda day: float(day["revenue"]),
            value_label=money,
            tick_label=lambda v: money(v, decimals=0 if whole else 2),
            ticks=revenue_ticks,
        ),
        "occupancy_chart": _bar_chart(
            days,
            value=lambda day: day["occupancy"] * 100,
            value_label=lambda v: f"{v:.0f}%",
            tick_label=lambda v: f"{v:.0f}%",
            ticks=[0, 25, 50, 75, 100],
        ),
    }


def _money_rows(figures: dict) -> dict:
    """The report's money (the payments of its showtimes' reservations) as the page
    shows it: one row per provider and method, and the total."""

    def texts(row: dict) -> dict:
        return {
            name: money(row[name])
            for name in ("taken", "refunded", "disputed", "dispute_lost", "net")
            if name in row
        }

    return {
        "rows": [
            {
                "paid_by": f"{row['provider'].replace('_', ' ')}: {row['method'].replace('_', ' ')}",
                "payments": row["payments"],
                **texts(row),
            }
            for row in figures.get("per_method", [])
        ],
        "total": texts(figures),
        "anomalies": figures.get("anomalies", 0),
    }

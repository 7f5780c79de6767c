"""The Sell screen a cashier lives in, in the Django admin (served by config/admin.py):
tonight's and upcoming showtimes -> the seat grid, free seats clickable -> method (and a
customer's name or email, if given) -> Sell -> the sale, with its tickets to print and
its confirmation to re-send.

Two seats take four clicks once the showtime is open: two seats, Sell, Print. Every
input goes through the API's own serializer and the sale through the same service as
``POST /api/box-office/sales/``; the form carries an Idempotency-Key made when it was
drawn, so a double click or a reload of the POST sells nothing twice.
"""

import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from bookings import selectors as booking_selectors
from bookings.models import Reservation, SeatStatus, counter_sales_open
from bookings.serializers import seat_arguments
from boxoffice import selectors, services
from boxoffice.serializers import CounterSaleCreateSerializer
from cinema.models import ADULT, SeatType, Showtime
from core.errors import DomainError
from core.exceptions import http_status
from core.money import format_money, money_sum
from payments import papers, shift_services
from payments.models import COUNTER_METHODS, Payment
from tickets.selectors import reservation_tickets
from users import roles


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(request, site, **extra) -> dict:
    # No side menu on the till's screens: the seat grid of a 20-seat row needs the width.
    return {**site.each_context(request), "is_nav_sidebar_enabled": False, **extra}


def shift_box(request, site) -> dict:
    """What the Sell screens show of the user's till: the open shift (with its close
    link) or the form that opens one."""
    shift = shift_services.shift_open_for(staff=request.user)
    if shift is None:
        return {"open": False, "open_url": reverse(f"{site.name}:marquee-shift-open")}
    return {
        "open": True,
        "shift": shift,
        "opened_at": timezone.localtime(shift.opened_at),
        "float": format_money(shift.opening_float),
        "close_url": reverse(f"{site.name}:marquee-shift-close", args=[shift.pk]),
        "report_url": reverse(f"{site.name}:marquee-shift-report", args=[shift.pk]),
    }


def sell_index(request, *, site, problems=()):
    """The showtimes the counter sells now, soonest first, and the user's till: the
    open shift, or the form that opens one (``problems``: what went wrong opening it)."""
    _require(request, roles.SELL)
    now = timezone.now()
    showtimes = [
        {
            "showtime": showtime,
            "start": timezone.localtime(showtime.start_time),
            "sold": showtime.sold_seats,
            "capacity": showtime.hall.capacity,
            "url": reverse(f"{site.name}:marquee-sell", args=[showtime.pk]),
            "started": showtime.start_time <= now,
        }
        for showtime in selectors.counter_showtimes(now=now)
    ]
    context = _context(
        request,
        site,
        title="Sell",
        showtimes=showtimes,
        till=shift_box(request, site),
        problems=list(problems),
        float_value=request.POST.get("float", ""),
    )
    return TemplateResponse(request, "boxoffice/sell_index.html", context)


def _seat_rows(seat_map: dict, chosen: set[int]) -> list[dict]:
    rows: dict[str, list[dict]] = {}
    for seat in seat_map["seats"]:
        rows.setdefault(seat["row"], []).append(
            {
                **seat,
                "free": seat["status"] == SeatStatus.AVAILABLE,
                "chosen": seat["id"] in chosen,
                "vip": seat["seat_type"] == SeatType.VIP,
                "price_text": format_money(seat["price"]),
            }
        )
    return [{"row": row, "seats": seats} for row, seats in rows.items()]


def _type_counts(request, ticket_types: list[dict]) -> list[tuple[str, int]]:
    """How many tickets of each type (beside Adult) the form asks for, in the list's
    order: ``type_<code>`` fields, blank or not a number counting as none."""
    counts = []
    for kind in ticket_types:
        raw = request.POST.get(f"type_{kind['code']}", "").strip()
        counts.append((kind["code"], int(raw) if raw.isdigit() else 0))
    return counts


def _chosen_seats(request, ticket_types: list[dict]) -> list:
    """The seats ticked on the map, in hall order, the first ones with the ticket
    types asked for, in the list's order; the rest are Adult."""
    seats: list = request.POST.getlist("seat")
    types = [code for code, count in _type_counts(request, ticket_types) for _ in range(count)]
    if len(types) > len(seats):
        raise _TooManyTickets(len(types), len(seats))
    return [
        {"id": seat, "type": kind} for seat, kind in zip(seats[: len(types)], types, strict=True)
    ] + seats[len(types) :]


def _sale_body(request, showtime: Showtime, ticket_types: list[dict]) -> dict:
    """The form as the API's body."""
    body = {"showtime": showtime.pk, "method": request.POST.get("method", "")}
    if "best" in request.POST:
        # "N seats, best": the quantity (and seat type) instead of the seats on the map.
        body["quantity"] = request.POST.get("quantity", "")
        if request.POST.get("seat_type"):
            body["seat_type"] = request.POST["seat_type"]
    else:
        body["seats"] = _chosen_seats(request, ticket_types)
    voucher = request.POST.get("voucher", "").strip()
    if voucher:
        body["voucher"] = voucher
    name, email = request.POST.get("customer_name", ""), request.POST.get("customer_email", "")
    if name.strip() or email.strip():
        body["customer"] = {"name": name, "email": email}
    return body


class _TooManyTickets(Exception):
    def __init__(self, tickets: int, seats: int):
        super().__init__(
            f"{tickets} tickets of other types than Adult, but {seats} seat(s) chosen: choose "
            "a seat for each ticket."
        )


def _errors_text(errors) -> list[str]:
    """DRF's field errors as lines a cashier reads."""
    lines = []
    for field, problems in errors.items():
        if isinstance(problems, dict):
            lines += [f"{field} {line}" for line in _errors_text(problems)]
            continue
        for problem in problems:
            lines.append(f"{field.replace('_', ' ').capitalize()}: {problem}")
    return lines


def _sell(
    request, site, showtime: Showtime, ticket_types: list[dict]
) -> tuple[HttpResponseRedirect | None, list[str]]:
    """Validate the form as the API does and sell: the redirect to the sale, or the
    problems to show."""
    try:
        body = _sale_body(request, showtime, ticket_types)
    except _TooManyTickets as problem:
        return None, [str(problem)]
    serializer = CounterSaleCreateSerializer(data=body)
    if not serializer.is_valid():
        return None, _errors_text(serializer.errors)
    data = serializer.validated_data
    customer = data.get("customer") or {}
    try:
        result = services.counter_sale_create(
            cashier=request.user,
            showtime_id=showtime.pk,
            **seat_arguments(data),
            method=data["method"],
            customer_name=customer.get("name", ""),
            customer_email=customer.get("email", ""),
            idempotency_key=request.POST.get("key") or None,
        )
    except DomainError as error:
        # A seat taken meanwhile is named; no block of N says the largest free.
        taken = [seat["label"] for seat in getattr(error, "extra", {}).get("seats", [])]
        detail = str(error.detail)
        return None, [f"{detail} ({', '.join(taken)})" if taken else detail]
    url = reverse(f"{site.name}:marquee-sale", args=[result.reservation.pk])
    return HttpResponseRedirect(url), []


def sell_showtime(request, showtime_id: int, *, site):
    """GET: the seat grid with the free seats to pick, the method and the customer;
    POST: sell them, then the sale's page (or the grid again with what went wrong)."""
    _require(request, roles.SELL)
    showtime = Showtime.objects.select_related("movie", "hall").filter(pk=showtime_id).first()
    if showtime is None:
        raise Http404
    problems: list[str] = []
    seat_map = booking_selectors.showtime_seat_map(showtime_id=showtime.pk)
    # Beside Adult (each seat's own price), the types the showtime sells.
    ticket_types = [kind for kind in seat_map["ticket_types"] if kind["code"] != ADULT]
    if request.method == "POST":
        redirect, problems = _sell(request, site, showtime, ticket_types)
        if redirect is not None:
            return redirect
        seat_map = booking_selectors.showtime_seat_map(showtime_id=showtime.pk)
    chosen = {int(x) for x in request.POST.getlist("seat") if x.isdigit()}
    counts = dict(_type_counts(request, ticket_types))
    context = _context(
        request,
        site,
        title=f"Sell: {showtime.movie.title}",
        showtime=showtime,
        start=timezone.localtime(showtime.start_time),
        open=counter_sales_open(showtime.start_time, timezone.now()),
        rows=_seat_rows(seat_map, chosen),
        counts=seat_map["counts"],
        methods=COUNTER_METHODS,
        seat_types=SeatType.choices,
        quantity=request.POST.get("quantity", ""),
        seat_type=request.POST.get("seat_type", ""),
        method=request.POST.get("method", COUNTER_METHODS[0][0]),
        customer_name=request.POST.get("customer_name", ""),
        customer_email=request.POST.get("customer_email", ""),
        ticket_types=[
            {
                **kind,
                "count": counts.get(kind["code"], 0),
                "prices_text": " / ".join(
                    f"{format_money(Decimal(price))} {seat_type.lower()}"
                    for seat_type, price in kind["prices"].items()
                    if seat_type != SeatType.ACCESSIBLE
                ),
            }
            for kind in ticket_types
        ],
        voucher=request.POST.get("voucher", ""),
        # A new key each time the form is drawn: a resubmission of this one is a replay.
        key=uuid.uuid4().hex,
        problems=problems,
        index_url=reverse(f"{site.name}:marquee-sell-index"),
        till=shift_box(request, site),
    )
    status = 409 if problems else 200
    return TemplateResponse(request, "boxoffice/sell_showtime.html", context, status=status)


def _visible_sale(request, reservation_id: int) -> Reservation:
    _require(request, roles.VIEW_RESERVATIONS)
    reservation = (
        Reservation.objects.select_related("showtime__movie", "showtime__hall", "sold_by")
        .filter(pk=reservation_id)
        .first()
    )
    if reservation is None:
        raise Http404
    return reservation


def sale_view(request, reservation_id: int, *, site):
    """A sale made: its seats, total and payment, and the buttons to print the tickets
    (A4 or the 80 mm roll), re-send the confirmation and sell again."""
    reservation = _visible_sale(request, reservation_id)
    payment = Payment.objects.filter(reservation=reservation).order_by("-pk").first()
    tickets = list(reservation_tickets(reservation_id=reservation.pk))
    claims = list(reservation.seats.select_related("seat").order_by("seat__position"))
    context = _context(
        request,
        site,
        title=f"Sale {reservation.pk}",
        reservation=reservation,
        start=timezone.localtime(reservation.showtime.start_time),
        seats=[(claim.seat.label, format_money(claim.price)) for claim in claims],
        total=format_money(money_sum(claim.price for claim in claims)),
        payment=payment,
        tickets=tickets,
        pdf_url=reverse(f"{site.name}:marquee-sale-pdf", args=[reservation.pk]),
        resend_url=reverse(
            f"{site.name}:bookings_reservation_resend_confirmation", args=[reservation.pk]
        ),
        may_resend=request.user.has_perm(roles.RESEND_CONFIRMATION),
        sell_url=reverse(f"{site.name}:marquee-sell", args=[reservation.showtime_id]),
        change_url=reverse(f"{site.name}:bookings_reservation_change", args=[reservation.pk]),
    )
    return TemplateResponse(request, "boxoffice/sale.html", context)


def sale_pdf(request, reservation_id: int, *, site):
    """The sale's tickets (and receipt) as a PDF, for the counter's printer."""
    reservation = _visible_sale(request, reservation_id)
    try:
        body = papers.reservation_tickets_pdf(
            reservation=reservation, layout=request.GET.get("layout", "a4")
        )
    except DomainError as error:
        return HttpResponse(str(error.detail), status=http_status(error), content_type="text/plain")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="tickets-{reservation.pk}.pdf"'
    return response

"""The door screen (``/door/``): an usher picks tonight's showtime and scans tickets.

A page for staff whose role grants ``users.roles.CHECK_IN`` (USHER, CASHIER, ADMIN),
signed in with the Django admin's session, and the JSON endpoint it posts each scan to
(``POST /door/<showtime_id>/scan/``, session auth with CSRF). The endpoint calls the
same service as ``POST /api/check-ins/`` (``tickets.services.ticket_check_in``), counts
in the same per-user throttle, and answers what the screen shows: ADMIT with the seat,
or REFUSED with the reason in words, times in the cinema's time zone, and the showtime's
"inside / sold" after the scan. A refusal is the door's answer, not a failed request:
200 with ``admitted: false`` and the API's refusal code (``ticket_void``...), so the
screen never logs an error for a turned-away ticket; 4xx means there is no answer
(signed out, not door staff, CSRF, throttled, no code, no such showtime). The words are written here, not in the browser, so the
screen's script stays a dumb renderer and every time is local (docs/tickets.md).
"""

import json
import math
from datetime import datetime, timedelta

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cinema.models import ADULT
from core.days import local_day_range
from core.limits import MAX_ID
from tickets import selectors, services
from tickets.exceptions import (
    AlreadyCheckedIn,
    DoorRefusal,
    ShowtimeEnded,
    TicketNotFound,
    TicketVoid,
    TooEarly,
    WrongShowtime,
)
from tickets.throttles import CheckInThrottle, note_unknown_code
from users import roles

# How far ahead the screen lists showtimes: the rest of tonight, past midnight included
# (a late show belongs to the evening it starts in), from whenever the shift opens it.
LOOKAHEAD = timedelta(hours=18)
MAX_CODE_CHARS = 64  # a code as printed is 34; anything longer is not a scan


# --- words and times, as the screen shows them -------------------------------------------
def _clock(when: datetime, *, now: datetime, seconds: bool = False) -> str:
    """``19:41`` today, ``Sat 5 Dec 19:41`` on another day, in the cinema's time zone."""
    local = timezone.localtime(when)
    text = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    if local.date() != timezone.localtime(now).date():
        text = f"{local:%a} {local.day} {local:%b} {text}"
    return text


def showtime_label(showtime, *, now: datetime) -> str:
    return f"{_clock(showtime.start_time, now=now)} · {showtime.movie.title} · {showtime.hall.name}"


def _reason(refusal: Exception, *, now: datetime) -> str:
    if isinstance(refusal, AlreadyCheckedIn):
        return (
            f"Already checked in at {_clock(refusal.extra['checked_in_at'], now=now, seconds=True)}"
        )
    if isinstance(refusal, TicketVoid):
        return "Ticket void: its reservation was cancelled"
    if isinstance(refusal, WrongShowtime):
        return (
            f"Wrong showtime: this ticket is for {showtime_label(refusal.ticket.showtime, now=now)}"
        )
    if isinstance(refusal, TooEarly):
        return f"Too early: doors open at {_clock(refusal.extra['doors_open_at'], now=now)}"
    if isinstance(refusal, ShowtimeEnded):
        return "This showtime has ended"
    return "Unknown code: no ticket has it"


def _local(value):
    """A time as the API writes it (ISO 8601 in the cinema's time zone); else as is."""
    return timezone.localtime(value).isoformat() if isinstance(value, datetime) else value


def _ticket_fields(ticket) -> dict:
    return {
        "seat": ticket.seat.label,
        # The seat's type and, for any ticket but Adult, its ticket type, which the
        # usher checks against the person: "Standard · Child".
        "ticket_type": ticket.seat.get_seat_type_display()
        + ("" if ticket.ticket_type == ADULT else f" · {ticket.ticket_type_name}"),
        "display_code": ticket.display_code,
    }


def _counts(showtime_id: int) -> dict:
    figures = selectors.attendance(showtime_id=showtime_id)
    return {"inside": figures["inside"], "sold": figures["tickets"]}


def _refusal_body(refusal: Exception, *, now: datetime) -> dict:
    body = {
        "admitted": False,
        "code": refusal.code,
        "detail": refusal.detail,
        "title": "REFUSED",
        "reason": _reason(refusal, now=now),
    }
    if isinstance(refusal, DoorRefusal):
        body.update(_ticket_fields(refusal.ticket))
        body.update({key: _local(value) for key, value in refusal.extra.items()})
        if isinstance(refusal, WrongShowtime):
            right = refusal.ticket.showtime
            body["showtime"] = {
                "id": right.pk,
                "movie": right.movie.title,
                "hall": right.hall.name,
                "start_time": _local(right.start_time),
                "label": showtime_label(right, now=now),
            }
    return body


# --- who may use it -----------------------------------------------------------------------
def _error(status: int, code: str, detail: str, **headers) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status, headers=headers)


class _CSRFCheck(CsrfViewMiddleware):
    """Django's own CSRF check, answering its reason instead of the HTML failure page
    (the scan endpoint speaks JSON), as DRF's session authentication does."""

    def _reject(self, request, reason):
        return reason


def _csrf_refused(request) -> str | None:
    check = _CSRFCheck(lambda request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _may_check_in(user) -> bool:
    return user.is_authenticated and user.has_perm(roles.CHECK_IN)


# --- the page -----------------------------------------------------------------------------
def _preselected(showtimes: list, *, now: datetime):
    """The showtime the door is most likely at: of those not over, the one starting
    nearest to now (the next one, or the one that just began); else the last one."""
    running = [showtime for showtime in showtimes if showtime.end_time > now]
    if not running:
        return showtimes[-1] if showtimes else None
    return min(running, key=lambda showtime: abs(showtime.start_time - now))


def _chosen(request, showtimes: list, *, now: datetime):
    raw = request.GET.get("showtime", "")
    wanted = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else 0
    if 0 < wanted <= MAX_ID:
        for showtime in showtimes:
            if showtime.pk == wanted:
                return showtime
        showtime = selectors.door_showtime(showtime_id=wanted)
        if showtime is not None:  # another day's, linked from the admin
            showtimes.append(showtime)
            showtimes.sort(key=lambda item: (item.start_time, item.pk))
            return showtime
    return _preselected(showtimes, now=now)


@require_GET
def door_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not _may_check_in(request.user):
        raise PermissionDenied
    now = timezone.now()
    midnight, _ = local_day_range(timezone.localdate(now))
    showtimes = selectors.door_showtimes(since=midnight, until=now + LOOKAHEAD)
    chosen = _chosen(request, showtimes, now=now)
    context = {
        "showtimes": [
            {"id": showtime.pk, "label": showtime_label(showtime, now=now)}
            for showtime in showtimes
        ],
        "chosen": chosen,
        "chosen_label": showtime_label(chosen, now=now) if chosen else "",
        "counts": _counts(chosen.pk) if chosen else None,
        "scan_url": reverse("door-scan", args=[chosen.pk]) if chosen else "",
    }
    return render(request, "tickets/door.html", context)


# --- a scan -------------------------------------------------------------------------------
def _submitted_code(request) -> str | None:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return None
    else:
        data = request.POST
    code = data.get("code") if isinstance(data, dict) else None  # a QueryDict is one too
    if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_CHARS:
        return None
    return code


def _refused_before_scan(request) -> JsonResponse | None:
    """401, 403, CSRF, 429, 400 or 404: anything that stops a scan before the door's
    rules are asked."""
    user = request.user
    if not user.is_authenticated:
        return _error(401, "not_authenticated", "Sign in at /admin/login/ first.")
    if not _may_check_in(user):
        return _error(403, "permission_denied", "Only door staff (USHER, CASHIER, ADMIN) may.")
    reason = _csrf_refused(request)
    if reason:
        return _error(403, "csrf_failed", f"CSRF check failed: {reason}. Reload the page.")
    throttle = CheckInThrottle()
    if not throttle.allow_request(request):
        wait = max(1, math.ceil(throttle.wait() or 1))
        return _error(
            429, "throttled", f"Too many scans; wait {wait} s.", **{"Retry-After": str(wait)}
        )
    return None


@csrf_exempt  # checked in _refused_before_scan, to answer JSON rather than a page
@require_POST
def door_scan(request, showtime_id: int):
    refused = _refused_before_scan(request)
    if refused is not None:
        return refused
    code = _submitted_code(request)
    if code is None:
        return _error(
            400, "invalid", f"Send the ticket's code (at most {MAX_CODE_CHARS} characters)."
        )
    if not 0 < showtime_id <= MAX_ID or selectors.door_showtime(showtime_id=showtime_id) is None:
        return _error(404, "showtime_not_found", "No such showtime; reload the page.")
    now = timezone.now()
    try:
        ticket = services.ticket_check_in(
            code=code, showtime_id=showtime_id, by=request.user, now=now
        )
    except (DoorRefusal, TicketNotFound) as refusal:
        if isinstance(refusal, TicketNotFound):
            note_unknown_code(request.user)
        return JsonResponse({**_refusal_body(refusal, now=now), **_counts(showtime_id)})
    body = {
        "admitted": True,
        "code": "admitted",
        "title": "ADMIT",
        "reason": "",
        **_ticket_fields(ticket),
        "checked_in_at": _local(ticket.checked_in_at),
        **_counts(showtime_id),
    }
    return JsonResponse(body)

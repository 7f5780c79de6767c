"""The till in the admin (served by config/admin.py): the Sell screen's "Open shift"
form posts here, the "Close shift" page takes the count, and the close report prints
(an HTML page with print CSS: A4 or the counter's 80 mm roll, whatever the browser's
print dialog is given). The forms go through the API's own serializers and the same
services as ``/api/shifts/``.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from boxoffice.admin_views import _context, _errors_text, _require, sell_index
from boxoffice.serializers import ShiftCloseSerializer, ShiftOpenSerializer
from core.errors import DomainError
from core.money import format_money
from payments import shift_selectors, shift_services
from payments.models import Method
from users import roles


def shift_open(request, *, site):
    """POST (from the Sell screen): open the user's shift with the float given. A GET,
    or a success, goes back to the Sell screen."""
    _require(request, roles.TAKE_PAYMENT)
    index = reverse(f"{site.name}:marquee-sell-index")
    if request.method != "POST":
        return HttpResponseRedirect(index)
    serializer = ShiftOpenSerializer(data={"float": request.POST.get("float", "").strip()})
    problems: list[str] = []
    if not serializer.is_valid():
        problems = _errors_text(serializer.errors)
    else:
        try:
            shift_services.shift_open(
                cashier=request.user, opening_float=serializer.validated_data["float"]
            )
        except DomainError as error:
            problems = [str(error.detail)]
    if not problems:
        back = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return HttpResponseRedirect(back if back and safe else index)
    response = sell_index(request, site=site, problems=problems)
    response.status_code = 400
    return response


def _visible_shift(request, shift_id: int):
    _require(request, roles.TAKE_PAYMENT)
    shift = shift_selectors.shifts_visible_to(request.user).filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    return shift


def shift_close(request, shift_id: int, *, site):
    """GET: the count form (a blind count: the expected figure shows only after);
    POST: close the shift, then its close report."""
    _require(request, roles.TAKE_PAYMENT)
    shift = shift_selectors.shift_queryset().filter(pk=shift_id).first()
    if shift is None:
        raise Http404
    if shift.cashier_id != request.user.pk and not request.user.is_admin_role:
        raise PermissionDenied
    report_url = reverse(f"{site.name}:marquee-shift-report", args=[shift.pk])
    problems: list[str] = []
    if request.method == "POST":
        serializer = ShiftCloseSerializer(
            data={
                "counted": request.POST.get("counted", "").strip(),
                "note": request.POST.get("note", ""),
            }
        )
        if not serializer.is_valid():
            problems = _errors_text(serializer.errors)
        else:
            try:
                shift_services.shift_close(
                    shift_id=shift.pk,
                    by=request.user,
                    counted=serializer.validated_data["counted"],
                    note=serializer.validated_data["note"],
                )
            except DomainError as error:
                problems = [str(error.detail)]
            else:
                return HttpResponseRedirect(report_url)
    context = _context(
        request,
        site,
        title=f"Close shift {shift.pk}",
        shift=shift,
        opened_at=timezone.localtime(shift.opened_at),
        float=format_money(shift.opening_float),
        counted=request.POST.get("counted", ""),
        note=request.POST.get("note", ""),
        problems=problems,
        report_url=report_url,
        index_url=reverse(f"{site.name}:marquee-sell-index"),
    )
    return TemplateResponse(
        request, "boxoffice/shift_close.html", context, status=400 if problems else 200
    )


def _money(value):
    return "" if value is None else format_money(value)


def shift_report(request, shift_id: int, *, site):
    """The close report, printable: float, cash in, cash out, expected, counted,
    difference, the card terminal apart, and every sale and refund."""
    shift = _visible_shift(request, shift_id)
    report = shift_selectors.shift_report(shift=shift)
    methods = dict(Method.choices)
    lines = [
        {
            "kind": line.kind,
            "reservation": line.reservation_id,
            "at": timezone.localtime(line.at) if line.at else None,
            "method": methods.get(line.method, line.method),
            "amount": format_money(line.amount),
        }
        for line in report.lines
    ]
    figures = [
        ("Float", report.opening_float),
        ("Cash in (sales)", report.cash_in),
        ("Cash out (refunds)", -report.cash_out),
        ("Expected in the drawer", report.expected),
        ("Counted", report.counted),
        ("Difference (counted - expected)", report.difference),
    ]
    context = _context(
        request,
        site,
        title=f"Shift {shift.pk}: close report",
        shift=shift,
        opened_at=timezone.localtime(shift.opened_at),
        closed_at=timezone.localtime(shift.closed_at) if shift.closed_at else None,
        figures=[(label, _money(value)) for label, value in figures],
        difference=report.difference,
        card_in=format_money(report.card_terminal_in),
        card_out=format_money(-report.card_terminal_out),
        lines=lines,
        may_close=shift.is_open
        and (shift.cashier_id == request.user.pk or request.user.is_admin_role),
        close_url=reverse(f"{site.name}:marquee-shift-close", args=[shift.pk]),
    )
    return TemplateResponse(request, "boxoffice/shift_report.html", context)

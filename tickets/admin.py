from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from bookings.admin import ShowtimeSalesAdmin, showtime_seat_map_html
from cinema.models import Showtime
from core.admin import ReadOnlyAdmin
from tickets import selectors
from tickets.codes import normalise
from tickets.models import Ticket, TicketStatus
from tickets.qr import qr_svg


class ShowtimeDoorAdmin(ShowtimeSalesAdmin):
    """The schedule with the door's figures: how many are inside (checked in) in the
    list and on each showtime's page, and the checked-in seats marked on its seat map."""

    list_display = [*ShowtimeSalesAdmin.list_display, "inside_count"]
    readonly_fields = [
        *(name for name in ShowtimeSalesAdmin.readonly_fields if name != "seat_map"),
        "inside",
        "seat_map",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(checked_in=selectors.ticket_count(TicketStatus.USED))
        )

    @admin.display(description="inside", ordering="checked_in")
    def inside_count(self, obj):
        return obj.checked_in

    @admin.display(description="Inside")
    def inside(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        figures = selectors.attendance(showtime_id=obj.pk)
        return f"{figures['inside']} of {figures['tickets']} ticket holders checked in"

    @admin.display(description="Seat map")
    def seat_map(self, obj):
        if obj is None or obj.pk is None:
            return ""
        return showtime_seat_map_html(
            obj, checked_in=selectors.checked_in_seat_ids(showtime_id=obj.pk)
        )


admin.site.unregister(Showtime)
admin.site.register(Showtime, ShowtimeDoorAdmin)


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Tickets are read here; they change only through the booking engine (issued on
    confirm, voided on cancel) and the door (``POST /api/check-ins/``)."""

    list_display = ["display_code", "status", "showtime", "seat", "reservation", "checked_in_at"]
    list_filter = ["status"]
    list_select_related = ["showtime__movie", "showtime__hall", "seat__hall"]
    search_fields = ["code", "reservation__id", "reservation__user__username"]
    fields = [
        "display_code",
        "qr_code",
        "status",
        "reservation",
        "showtime",
        "seat",
        "issued_at",
        "voided_at",
        "checked_in_at",
        "checked_in_by",
    ]
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        # A code as people write it (dashes, any case) finds its ticket too.
        code = normalise(search_term)
        if code is not None:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Code")
    def display_code(self, obj):
        return obj.display_code

    @admin.display(description="QR code")
    def qr_code(self, obj):
        # segno's SVG of our own code: nothing in it comes from a user.
        svg = qr_svg(obj.code, scale=5).decode()
        svg = svg[svg.index("<svg") :]
        return format_html("<div>{}</div>", mark_safe(svg))  # noqa: S308

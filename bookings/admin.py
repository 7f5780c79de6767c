from django.contrib import admin, messages

from bookings import selectors, services
from bookings.models import Reservation, ReservationSeat
from bookings.reports.admin_views import showtime_seat_map_html
from cinema.admin import ShowtimeAdmin
from cinema.models import Showtime
from config.errors import DomainError


class ShowtimeSalesAdmin(ShowtimeAdmin):
    """The schedule's admin with what the booking engine knows: seats sold over
    capacity in the list, the live seat map on each showtime's page."""

    list_display = [*ShowtimeAdmin.list_display, "sold"]
    readonly_fields = [*ShowtimeAdmin.readonly_fields, "seat_map"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sold_seats=selectors.sold_seats())

    @admin.display(description="sold / capacity", ordering="sold_seats")
    def sold(self, obj):
        return f"{obj.sold_seats} / {obj.hall.capacity}"

    @admin.display(description="Seat map")
    def seat_map(self, obj):
        return showtime_seat_map_html(obj)


admin.site.unregister(Showtime)
admin.site.register(Showtime, ShowtimeSalesAdmin)


class ReservationSeatInline(admin.TabularInline):
    model = ReservationSeat
    fields = ["seat", "price", "active", "hold_expires_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("seat__hall")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    """Read-only view of reservations; the only write is the cancel action, which goes
    through the booking service (locks, rules, seats freed)."""

    list_display = ["id", "user", "showtime", "status", "total_price", "created_at"]
    list_filter = ["status", "created_at", "showtime__start_time"]
    search_fields = [
        "user__username",
        "user__email",
        "showtime__movie__title",
        "showtime__hall__name",
    ]
    # No date_hierarchy: on MySQL/MariaDB it needs the server's time zone tables. The
    # date filters compute their ranges in Python and work everywhere.
    list_select_related = ["user", "showtime__movie", "showtime__hall"]
    readonly_fields = [
        "user",
        "showtime",
        "status",
        "total_price",
        "expires_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    ]
    inlines = [ReservationSeatInline]
    actions = ["cancel_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel selected reservations")
    def cancel_selected(self, request, queryset):
        cancelled = 0
        for reservation in queryset.order_by("showtime_id", "pk"):
            try:
                services.reservation_cancel(reservation=reservation, by=request.user)
            except DomainError as exc:
                self.message_user(
                    request, f"Reservation {reservation.pk}: {exc.detail}", messages.WARNING
                )
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"Cancelled {cancelled} reservation(s).", messages.SUCCESS)

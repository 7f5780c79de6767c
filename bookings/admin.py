"""Staff admin of what the booking engine owns: the showtimes' sales (extending cinema's
ShowtimeAdmin) and the reservations, which staff read and cancel, never edit: every
change goes through the booking services (locks, rules, seats freed, counters)."""

import datetime as dt
from collections.abc import Collection

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from bookings import selectors, services
from bookings.models import (
    LIVE_STATUSES,
    Reservation,
    ReservationSeat,
    ReservationStatus,
    SeatStatus,
    claim_status,
    sales_open,
)
from bookings.serializers import ShowtimeCancelSerializer
from cinema.admin import ShowtimeAdmin, local_time
from cinema.models import Showtime
from cinema.seat_grid import seat_grid_html
from core.admin import ReadOnlyAdmin
from core.days import local_day_range
from core.errors import DomainError
from core.limits import MAX_ID
from users import roles


def showtime_seat_map_html(
    showtime: Showtime, *, checked_in: Collection[int] | None = None
) -> SafeString:
    """The showtime's seat map as an HTML grid coloured by status (available, held,
    booked; VIP and accessible seats marked, and the seats in ``checked_in`` marked as
    inside), for the Showtime change page in the admin (here, and tickets/admin.py). The
    hall's page draws the same grid without statuses."""
    if showtime is None or showtime.pk is None:
        return SafeString("")
    # The API's seat map itself, so staff and customers always see the same statuses.
    seat_map = selectors.showtime_seat_map(showtime_id=showtime.pk)
    seats = seat_map["seats"]
    if checked_in is not None:
        seats = [{**seat, "inside": seat["id"] in checked_in} for seat in seats]
    return seat_grid_html(
        seats,
        caption=f"Seat map of {showtime}",
        counts=seat_map["counts"],
        inside=None if checked_in is None else len(checked_in),
        unsold_label="available" if sales_open(showtime.start_time, timezone.now()) else "not sold",
    )


class ShowtimeSalesAdmin(ShowtimeAdmin):
    """The schedule's admin with what the booking engine knows: seats sold over
    capacity in the list, the live seat map on each showtime's page."""

    list_display = [*ShowtimeAdmin.list_display, "sold"]
    readonly_fields = ["seat_map"]  # on a saved showtime's page (ShowtimeAdmin.get_fields)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sold_seats=selectors.sold_seats())

    @admin.display(description="sold", ordering="sold_seats")
    def sold(self, obj):
        # A cancelled screening sold nothing that stands: say so (no column of its own,
        # the list must fit the screen).
        if obj.cancelled_at is not None:
            return "cancelled"
        return f"{obj.sold_seats} / {obj.hall.capacity}"

    @admin.display(description="Seat map")
    def seat_map(self, obj):
        return showtime_seat_map_html(obj)

    # --- the cinema cancels a screening (ADMIN; before or after its start) ---
    actions = ["cancel_screening"]

    def has_cancel_screening_permission(self, request, obj=None):
        return request.user.is_admin_role

    @admin.action(description="Cancel screening", permissions=["cancel_screening"])
    def cancel_screening(self, request, queryset):
        """One screening at a time, through its confirmation page (which asks why)."""
        chosen = list(queryset.values_list("pk", flat=True)[:2])
        if len(chosen) != 1:
            self.message_user(
                request, "Choose one showtime to cancel: each needs its reason.", messages.ERROR
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:cinema_showtime_cancel_screening", args=[chosen[0]])
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/cancel-screening/",
                self.admin_site.admin_view(self.cancel_screening_view),
                name="cinema_showtime_cancel_screening",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def live_reservations(obj: Showtime) -> int:
        return obj.reservations.filter(status__in=LIVE_STATUSES).count()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if (
            obj is not None
            and self.has_cancel_screening_permission(request, obj)
            and (obj.cancelled_at is None or self.live_reservations(obj))
        ):
            extra_context["cancel_screening_url"] = reverse(
                "admin:cinema_showtime_cancel_screening", args=[obj.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def cancel_screening_view(self, request, object_id):
        """GET: what cancelling the screening does, and a reason to give; POST: cancel it
        through the booking engine (the API's service and the API's validation of the
        reason), then back to the showtime's page. A re-run finishes a cancel that
        stopped midway."""
        if not self.has_cancel_screening_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        change_url = reverse("admin:cinema_showtime_change", args=[obj.pk])
        errors = []
        if request.method == "POST":
            form = ShowtimeCancelSerializer(data={"reason": request.POST.get("reason", "")})
            if form.is_valid():
                try:
                    done = services.showtime_cancel(
                        showtime_id=obj.pk, reason=form.validated_data["reason"], by=request.user
                    )
                except DomainError as exc:
                    self.message_user(request, f"Not cancelled: {exc.detail}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{obj} is cancelled: {done.reservations_cancelled} reservation(s) "
                        "cancelled; card payments are being refunded, box-office payments "
                        "are owed at the counter, and the customers are being emailed.",
                    )
                return HttpResponseRedirect(change_url)
            errors = [str(error) for error in form.errors.get("reason", [])]
        live = obj.reservations.filter(status__in=LIVE_STATUSES)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cancel the screening {obj}?",
            "opts": self.opts,
            "object": obj,
            "live": live.count(),
            "confirmed": live.filter(status=ReservationStatus.CONFIRMED).count(),
            "started": obj.start_time <= timezone.now(),
            "finishing": obj.cancelled_at is not None,
            "reason": request.POST.get("reason", obj.cancel_reason),
            "errors": errors,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/cinema/showtime/cancel_screening.html", context)


admin.site.unregister(Showtime)
admin.site.register(Showtime, ShowtimeSalesAdmin)


def claim_state(claim: ReservationSeat, now: dt.datetime) -> str:
    """What a reservation's seat claim does now, in words: booked, held until a time,
    a lapsed hold, or released (the seat is free again: the reservation was cancelled
    or its hold expired)."""
    if not claim.active:
        return "released"
    status = claim_status(active=claim.active, hold_expires_at=claim.hold_expires_at, now=now)
    if status == SeatStatus.BOOKED:
        return "booked"
    if status == SeatStatus.HELD:
        return f"held until {local_time(claim.hold_expires_at, 'H:i')}"
    return "hold lapsed (free)"


class ShowtimeStartFilter(admin.SimpleListFilter):
    """When the reservation's showtime starts, in local days computed in Python (no
    time zone tables needed on MariaDB)."""

    title = "showtime"
    parameter_name = "show"

    def lookups(self, request, model_admin):
        return [
            ("upcoming", "Upcoming"),
            ("today", "Today"),
            ("past7", "Past 7 days"),
            ("past", "Past"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        today = timezone.localdate()
        value = self.value()
        if value == "upcoming":
            return queryset.filter(showtime__start_time__gte=now)
        if value == "today":
            start, end = local_day_range(today)
            return queryset.filter(showtime__start_time__gte=start, showtime__start_time__lt=end)
        if value == "past7":
            start, _ = local_day_range(today - dt.timedelta(days=7))
            return queryset.filter(showtime__start_time__gte=start, showtime__start_time__lt=now)
        if value == "past":
            return queryset.filter(showtime__start_time__lt=now)
        return queryset


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    """Reservations, read-only: the one write is cancelling (a button on the page and an
    action in the list), through the booking service (locks, rules, seats freed)."""

    # With the seats and who came in, this list filtered by a showtime is its guest list
    # (linked from the showtime's page as ?showtime__id__exact=N).
    list_display = [
        "number", "customer", "show", "seats_short", "status", "total", "inside", "created",
    ]  # fmt: skip
    list_display_links = ["number"]
    list_filter = ["status", ShowtimeStartFilter, "created_at"]
    # The box is there for these; what a term finds is decided by get_search_results
    # (bookings.selectors.reservation_search, which the API's ?search= uses too).
    search_fields = list(selectors.SEARCH_TEXT_FIELDS)
    search_help_text = (
        "A reservation number (4998 or #4998), a ticket code as printed (any case, dashes "
        "or not), or words of the customer's name, email or username, the movie or the hall."
    )
    # No date_hierarchy: on MySQL/MariaDB it needs the server's time zone tables. The
    # date filters compute their ranges in Python and work everywhere.
    list_select_related = ["user", "showtime__movie", "showtime__hall"]
    fields = [
        "user",
        "showtime",
        "status",
        "total_price",
        "seat_list",
        "expires_at",
        "cancelled_at",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["seat_list"]
    actions = ["cancel_selected", "resend_confirmation"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "showtime__movie", "showtime__hall")
            .prefetch_related(
                Prefetch("seats", queryset=ReservationSeat.objects.select_related("seat"))
            )
            .annotate(checked_in=selectors.tickets_checked_in())
        )

    def get_search_results(self, request, queryset, search_term):
        return selectors.reservation_search(queryset, search_term), False

    # --- read-only (ReadOnlyAdmin): no add, no edit, no delete; cancel instead ---
    def has_cancel_permission(self, request):
        """Whether the cancel action is offered: to ADMIN, and to counter staff for
        counter sales (the service refuses each other reservation, said in a message)."""
        return request.user.has_perm(roles.CANCEL_COUNTER_SALES)

    def has_resend_confirmation_permission(self, request):
        return request.user.is_active and request.user.has_perm(roles.RESEND_CONFIRMATION)

    def get_fields(self, request, obj=None):
        fields = list(self.fields)
        if obj is not None and obj.expires_at is None:
            fields.remove("expires_at")
        if obj is not None and obj.cancelled_at is None:
            fields.remove("cancelled_at")
        # What the admins that extend this one show (the payment state), after the status.
        extras = [name for name in self.readonly_fields if name not in fields]
        at = fields.index("status") + 1
        return [*fields[:at], *extras, *fields[at:]]

    @admin.display(description="Seats")
    def seat_list(self, obj):
        now = timezone.now()
        claims = obj.seats.select_related("seat").order_by("seat__position")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td class='num'>{}</td><td>{}</td></tr>",
            (
                (claim.seat.label, claim.seat.get_seat_type_display(), claim.price,
                 claim_state(claim, now))
                for claim in claims
            ),
        )  # fmt: skip
        return format_html(
            '<table class="reservation-seats"><thead><tr><th>seat</th><th>type</th>'
            '<th class="num">price paid</th><th>seat status</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    # --- the list ---
    @admin.display(description="#", ordering="id")
    def number(self, obj):
        return obj.pk

    @admin.display(description="customer")
    def customer(self, obj):
        # The name alone: an email is one unbreakable word that would widen the list
        # (it is on the reservation's page, and the search finds it).
        return obj.customer_label

    @admin.display(description="seats")
    def seats_short(self, obj):
        # From the prefetched claims (get_queryset): no query per row.
        claims = sorted(obj.seats.all(), key=lambda claim: claim.seat.position)
        return ", ".join(claim.seat.label for claim in claims)

    @admin.display(description="inside", ordering="checked_in")
    def inside(self, obj):
        return f"{obj.checked_in} / {len(obj.seats.all())}"

    @admin.display(description="showtime", ordering="showtime__start_time")
    def show(self, obj):
        showtime = obj.showtime
        return format_html(
            "{}<br><small>{} &middot; {}</small>",
            showtime.movie.title,
            showtime.hall.name,
            local_time(showtime.start_time),
        )

    @admin.display(description="total", ordering="total_price")
    def total(self, obj):
        return obj.total_price

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return local_time(obj.created_at)

    GUEST_LIST_PARAMETER = "showtime__id__exact"  # cinema.admin.ShowtimeAdmin links it

    def changelist_view(self, request, extra_context=None):
        """The list; filtered by one showtime it is that showtime's guest list, and its
        title says which."""
        raw = request.GET.get(self.GUEST_LIST_PARAMETER, "")
        showtime = None
        if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
            showtime = Showtime.objects.select_related("movie", "hall").filter(pk=raw).first()
        if showtime is not None:
            title = (
                f"Guest list: {showtime.movie.title}, {showtime.hall.name}, "
                f"{local_time(showtime.start_time)}"
            )
            extra_context = {"title": title, "subtitle": None, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    # --- cancelling ---
    @staticmethod
    def cancellable(obj: Reservation, now=None) -> bool:
        """What the booking service would accept, for showing the button; the service
        decides again under the lock."""
        now = now or timezone.now()
        return (
            obj.status in LIVE_STATUSES
            and not obj.hold_lapsed(now)
            and sales_open(obj.showtime.start_time, now)
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="bookings_reservation_cancel",
            ),
            path(
                "<path:object_id>/resend-confirmation/",
                self.admin_site.admin_view(self.resend_confirmation_view),
                name="bookings_reservation_resend_confirmation",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None and services.may_cancel(obj, request.user) and self.cancellable(obj):
            extra_context["cancel_url"] = reverse(
                "admin:bookings_reservation_cancel", args=[obj.pk]
            )
        if (
            obj is not None
            and obj.status == ReservationStatus.CONFIRMED
            and self.has_resend_confirmation_permission(request)
        ):
            extra_context["resend_url"] = reverse(
                "admin:bookings_reservation_resend_confirmation", args=[obj.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def cancel_view(self, request, object_id):
        """GET: what cancelling would do, and a button; POST: cancel through the
        booking service, then back to the reservation's page."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        change_url = reverse("admin:bookings_reservation_change", args=[obj.pk])
        if not services.may_cancel(obj, request.user):
            raise PermissionDenied
        if request.method == "POST":
            try:
                services.reservation_cancel(reservation=obj, by=request.user, at_counter=True)
            except DomainError as exc:
                self.message_user(request, f"Not cancelled: {exc.detail}", messages.ERROR)
            else:
                self.message_user(
                    request, f"Reservation {obj.pk} is cancelled; its seats are free again."
                )
            return HttpResponseRedirect(change_url)
        seats = [claim.seat.label for claim in obj.seats.select_related("seat")]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Cancel reservation {obj.pk}?",
            "opts": self.opts,
            "object": obj,
            "seats": seats,
            "cancellable": self.cancellable(obj),
            "change_url": change_url,
            **self.cancel_extra_context(obj),
        }
        return TemplateResponse(
            request, "admin/bookings/reservation/cancel_confirmation.html", context
        )

    def cancel_extra_context(self, obj: Reservation) -> dict:
        """More for the cancel page: the payments app adds the money that goes back
        (``payments.admin.ReservationPaymentsAdmin``); the engine knows of no money."""
        return {}

    # --- re-sending the confirmation (the same service as the API) ---
    def _resend(self, request, reservation: Reservation) -> bool:
        try:
            to = services.reservation_resend_confirmation(reservation_id=reservation.pk)
        except DomainError as exc:
            self.message_user(
                request,
                f"Reservation {reservation.pk}: not re-sent. {exc.detail}",
                messages.WARNING,
            )
            return False
        self.message_user(
            request, f"Reservation {reservation.pk}: the confirmation is on its way to {to}."
        )
        return True

    def resend_confirmation_view(self, request, object_id):
        """POST (the button on the reservation's page): re-send, then back to the page."""
        if not self.has_resend_confirmation_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if request.method == "POST":
            self._resend(request, obj)
        return HttpResponseRedirect(reverse("admin:bookings_reservation_change", args=[obj.pk]))

    @admin.action(description="Re-send confirmation", permissions=["resend_confirmation"])
    def resend_confirmation(self, request, queryset):
        for reservation in queryset.order_by("pk"):
            self._resend(request, reservation)

    @admin.action(description="Cancel selected reservations", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        cancelled = 0
        for reservation in queryset.order_by("showtime_id", "pk"):
            try:
                services.reservation_cancel(
                    reservation=reservation, by=request.user, at_counter=True
                )
            except DomainError as exc:
                self.message_user(
                    request, f"Reservation {reservation.pk}: {exc.detail}", messages.WARNING
                )
            else:
                cancelled += 1
        if cancelled:
            self.message_user(request, f"Cancelled {cancelled} reservation(s).", messages.SUCCESS)

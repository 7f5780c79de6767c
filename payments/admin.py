"""Payments in the admin: the list with a refund action, and on reservations the
box-office payment and the reservation's payments. Read-only otherwise: every change
goes through the payment services (locks, rules, the provider)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from bookings import services as booking_services
from bookings.admin import ReservationAdmin
from bookings.models import Reservation
from core.admin import ReadOnlyAdmin
from core.errors import DomainError
from core.money import format_money
from payments import selectors, services, shift_selectors
from payments.models import Flag, Method, Payment, PaymentStatus, Provider, Shift, WebhookEvent
from users import roles


def refund_plan_context(payments) -> dict:
    """What a refund gives back, worded for the confirmation pages: the amount to hand
    over at the counter (and how: cash, card terminal) and the amount Stripe returns to
    a card, each formatted for people (``format_money``); empty when none."""
    plan = selectors.refund_plan(payments)
    context = {"counter_payments": plan["counter"], "card_payments": plan["card"]}
    if plan["counter"]:
        context["hand_back"] = format_money(plan["hand_back"], plan["currency"])
        context["hand_back_how"] = " and ".join(
            sorted({str(p.get_method_display()).lower() for p in plan["counter"]})
        )
    if plan["card"]:
        context["to_card"] = format_money(plan["to_card"], plan["currency"])
    return context


_PAYMENT_FIELDS = [
    "reservation",
    "provider",
    "method",
    "status",
    "amount",
    "currency",
    "reference",
    "refund_reference",
    "reason",
    "detail",
    "taken_by",
    "shift",
    "refund_shift",
    "created_at",
    "updated_at",
    "succeeded_at",
    "refunded_at",
    "refunded_amount",
    "refund_attempt",
    "flag",
    "flag_reason",
    "anomaly",
    "disputed_amount",
    "dispute_status",
]


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Payments Stripe's side made staff's business: refunds or disputes made there,
    successes Stripe's copy did not back."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention"), *Flag.choices]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(flag="")
        if self.value() in Flag.values:
            return queryset.filter(flag=self.value())
        return queryset


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    # What fits beside the filters at 1440 px: the provider and method in one column,
    # the amount with its currency, the reservation by number; the rest on the page.
    list_display = [
        "id",
        "booking",
        "customer",
        "how",
        "status",
        "money",
        "flag",
        "created_at",
    ]
    list_filter = [NeedsAttentionFilter, "status", "provider", "method", "created_at"]
    search_fields = ["=id", "=reservation__id", "reservation__user__username", "reference"]
    list_select_related = ["reservation__user"]
    fields = _PAYMENT_FIELDS
    readonly_fields = _PAYMENT_FIELDS
    # Read-only (a "View payment" page with no Save buttons); the refund action needs no
    # change permission: it calls the payment services.
    actions = ["refund_selected", "mark_reviewed"]

    @admin.display(description="customer", ordering="reservation__user__username")
    def customer(self, obj):
        return obj.reservation.customer_label

    @admin.display(description="reservation", ordering="reservation_id")
    def booking(self, obj):
        return f"#{obj.reservation_id}"

    @admin.display(description="how", ordering="provider")
    def how(self, obj):
        return f"{obj.get_provider_display()}: {obj.get_method_display()}"

    @admin.display(description="amount", ordering="amount")
    def money(self, obj):
        return format_money(obj.amount, obj.currency)

    def has_refund_permission(self, request):
        return request.user.has_perm(roles.CANCEL_COUNTER_SALES)

    @admin.action(
        description="Refund selected payments (cancels their reservations)",
        permissions=["refund"],
    )
    def refund_selected(self, request, queryset):
        """First a page with the money to hand back (and to cards), then, confirmed,
        the refunds."""
        if request.POST.get("confirm") != "yes":
            return self._refund_confirmation(request, queryset)
        for payment in queryset.select_related("reservation").order_by("pk"):
            if not booking_services.may_cancel(payment.reservation, request.user):
                self.message_user(
                    request,
                    f"Payment {payment.pk}: only an admin refunds an online booking.",
                    messages.WARNING,
                )
                continue
            try:
                outcome = services.payment_refund_by_staff(
                    payment_id=payment.pk, staff=request.user
                )
            except DomainError as exc:
                self.message_user(request, f"Payment {payment.pk}: {exc.detail}", messages.WARNING)
                continue
            level = messages.SUCCESS if outcome == "REFUNDED" else messages.WARNING
            message = f"Payment {payment.pk}: {outcome}."
            if outcome == "REFUNDED" and payment.provider == Provider.BOX_OFFICE:
                message += f" Hand back {format_money(payment.amount, payment.currency)}."
            self.message_user(request, message, level)

    def _refund_confirmation(self, request, queryset):
        payments = list(queryset.select_related("reservation").order_by("pk"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Refund these payments?",
            "opts": self.opts,
            "payments": payments,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **refund_plan_context(payments),
        }
        return TemplateResponse(request, "admin/payments/payment/refund_confirmation.html", context)

    def has_review_permission(self, request):
        return request.user.is_admin_role

    @admin.action(
        description="Mark as reviewed (clears the needs-attention flag)",
        permissions=["review"],
    )
    def mark_reviewed(self, request, queryset):
        cleared = sum(
            services.payment_flag_clear(payment_id=pk, staff=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{cleared} payment(s) marked as reviewed.", messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "outcome", "payment", "received_at"]
    list_filter = ["type", "outcome", "received_at"]
    search_fields = ["=event_id"]
    readonly_fields = ["provider", "event_id", "type", "payment", "outcome", "received_at"]


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = ["provider", "method", "status", "amount", "currency", "reason", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReservationPaymentsAdmin(ReservationAdmin):
    """The booking engine's reservation admin, with the reservation's payment state and
    payments, and box-office payments as actions."""

    list_display = [*ReservationAdmin.list_display, "payment_status"]
    list_filter = [*ReservationAdmin.list_filter, "payment_status"]
    readonly_fields = [*ReservationAdmin.readonly_fields, "payment_status"]
    inlines = [*ReservationAdmin.inlines, PaymentInline]
    actions = [*ReservationAdmin.actions, "take_cash", "take_card_terminal"]

    def _take(self, request, queryset, method: str):
        taken = 0
        for reservation in queryset.order_by("showtime_id", "pk"):
            try:
                services.payment_take_at_box_office(
                    reservation_id=reservation.pk, method=method, staff=request.user
                )
            except DomainError as exc:
                self.message_user(
                    request, f"Reservation {reservation.pk}: {exc.detail}", messages.WARNING
                )
            else:
                taken += 1
        if taken:
            self.message_user(
                request, f"Took payment for {taken} reservation(s).", messages.SUCCESS
            )

    def cancel_extra_context(self, obj):
        return refund_plan_context(obj.payments.order_by("pk"))

    def cancel_view(self, request, object_id):
        """The booking admin's cancel, and after it, what to hand back (the money taken
        at the counter that the cancel recorded as paid back)."""
        obj = self.get_object(request, object_id) if request.method == "POST" else None
        if obj is None:
            return super().cancel_view(request, object_id)
        plan = refund_plan_context(obj.payments.order_by("pk"))
        response = super().cancel_view(request, object_id)
        counter = [payment.pk for payment in plan.get("counter_payments", [])]
        if counter and obj.payments.filter(pk__in=counter, status=PaymentStatus.REFUNDED).exists():
            self.message_user(
                request,
                f"Hand back {plan['hand_back']} to the customer ({plan['hand_back_how']}).",
                messages.WARNING,
            )
        return response

    def has_take_payment_permission(self, request):
        return request.user.has_perm(roles.TAKE_PAYMENT)

    @admin.action(description="Box office: paid in cash (confirms)", permissions=["take_payment"])
    def take_cash(self, request, queryset):
        self._take(request, queryset, Method.CASH)

    @admin.action(
        description="Box office: paid by card terminal (confirms)", permissions=["take_payment"]
    )
    def take_card_terminal(self, request, queryset):
        self._take(request, queryset, Method.CARD_TERMINAL)


@admin.register(Shift)
class ShiftAdmin(ReadOnlyAdmin):
    """Shifts at the till, read-only (opened and closed from the Sell screen or the API):
    an ADMIN sees every shift with its difference, a cashier their own. A closed shift
    never changes, here or anywhere."""

    list_display = [
        "id",
        "cashier",
        "opened_at",
        "float_",
        "closed_at",
        "counted",
        "expected",
        "difference",
    ]
    # No date_hierarchy: it truncates dates in SQL, which MariaDB without its time zone
    # tables answers with NULLs (DESIGN.md, Time); the date filters use ranges.
    list_filter = ["opened_at", "closed_at"]
    fields = [
        "cashier",
        "opened_at",
        "opening_float",
        "closed_at",
        "closed_by",
        "counted",
        "note",
        "report",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return shift_selectors.shift_queryset().filter(
            pk__in=shift_selectors.shifts_visible_to(request.user).values("pk")
        )

    def history_view(self, request, object_id, extra_context=None):
        # Refuse a role without the right before looking the (scoped) row up, which
        # would otherwise answer "does not exist".
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def get_list_filter(self, request):
        if request.user.is_admin_role:
            return ["cashier", *self.list_filter]
        return self.list_filter

    @admin.display(description="float", ordering="opening_float")
    def float_(self, obj):
        return obj.opening_float

    @admin.display(description="expected")
    def expected(self, obj):
        return shift_selectors.shift_expected(obj)

    @admin.display(description="difference")
    def difference(self, obj):
        value = shift_selectors.shift_difference(obj)
        if value is None:
            return "open"
        return format_html('<span class="{}">{}</span>', "shift-short" if value < 0 else "", value)

    @admin.display(description="close report")
    def report(self, obj):
        url = reverse("admin:marquee-shift-report", args=[obj.pk])
        return format_html('<a class="button" href="{}">The close report (printable)</a>', url)


admin.site.unregister(Reservation)
admin.site.register(Reservation, ReservationPaymentsAdmin)

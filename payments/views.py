"""Thin views over the payment services: checkout, the box office, the Stripe webhook,
and the payments list."""

import logging

import django_filters
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors as booking_selectors
from bookings.exceptions import (
    AlreadyCancelled,
    AlreadyConfirmed,
    HoldExpired,
    NotReservationOwner,
    ShowtimeCancelled,
    ShowtimeClosed,
)
from bookings.serializers import ReservationSerializer
from core.days import DAY_OUT_OF_RANGE, day_in_range, local_day_range
from core.filters import IdFilter, NoEmptyValuesFilterSet, StableOrderingFilter
from core.limits import MAX_ID
from core.schema import domain_errors
from payments import papers, selectors, services
from payments.exceptions import (
    AlreadyPaid,
    CheckoutInProgress,
    InvalidEvent,
    InvalidSignature,
    NoOpenShift,
    PaymentProviderRefused,
    PaymentProviderUnavailable,
    ProviderDisabled,
    TotalMismatch,
)
from payments.models import Method, Payment, PaymentStatus, Provider
from payments.serializers import (
    BoxOfficePaymentCreateSerializer,
    CheckoutCreateSerializer,
    CheckoutSerializer,
    PaymentSerializer,
    WebhookReceivedSerializer,
)
from pricing.exceptions import (
    VoucherExhausted,
    VoucherExpired,
    VoucherInvalid,
    VoucherNotApplicable,
)
from pricing.throttles import VOUCHER_THROTTLES
from tickets.exceptions import NoTicketsToPrint, UnknownLayout
from tickets.pdf import DEFAULT_LAYOUT, LAYOUTS
from tickets.views import JSONWhateverTheAccept
from users.permissions import MayTakePayment

logger = logging.getLogger(__name__)


def _visible(request, pk: int):
    """The caller's reservations (their own; an ADMIN: any) with this id: empty, or one."""
    if not 0 < pk <= MAX_ID:
        raise NotFound()
    return booking_selectors.reservation_list(user=request.user).filter(pk=pk)


def _visible_reservation(request, pk: int):
    """The reservation as the caller may see it, else 404."""
    reservation = _visible(request, pk).first()
    if reservation is None:
        raise NotFound()
    return reservation


def _visible_reservation_id(request, pk: int) -> int:
    """``_visible_reservation``'s answer for a view that needs only the id: the same
    scoping, without loading the reservation, its seats and payments (the service reads
    what it needs under its locks)."""
    found = (
        _visible(request, pk)
        .select_related(None)
        .prefetch_related(None)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


@extend_schema(
    tags=["payments"],
    summary="Pay a hold online (owner)",
    description="Starts a Stripe payment for the reservation's price (computed from its "
    "seats on the server) in `CURRENCY`: answers 201 with the payment and the "
    "PaymentIntent's `client_secret`, which the customer's browser confirms with "
    "Stripe.js. The reservation becomes CONFIRMED when Stripe's webhook reports the "
    "payment. The first checkout extends the hold to PAYMENT_WINDOW_MINUTES from now "
    "(once). While a payment is pending, checking out again answers 200 with the same "
    "payment and creates nothing. A `voucher` with the first checkout discounts the "
    "hold first: the payment is for the discounted total.",
    request=CheckoutCreateSerializer,
    examples=[OpenApiExample("Stripe", value={"provider": "stripe"}, request_only=True)],
    responses={
        200: OpenApiResponse(CheckoutSerializer, description="The payment already pending."),
        201: CheckoutSerializer,
        **domain_errors(
            ProviderDisabled,
            ShowtimeClosed,
            ShowtimeCancelled,
            NotReservationOwner,
            AlreadyPaid,
            AlreadyConfirmed,
            AlreadyCancelled,
            HoldExpired,
            CheckoutInProgress,
            TotalMismatch,
            PaymentProviderRefused,
            PaymentProviderUnavailable,
            VoucherInvalid,
            VoucherExhausted,
            VoucherExpired,
            VoucherNotApplicable,
        ),
    },
)
class CheckoutView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [*APIView.throttle_classes, *VOUCHER_THROTTLES]

    def post(self, request, pk: int):
        reservation_id = _visible_reservation_id(request, pk)
        serializer = CheckoutCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checkout = services.payment_checkout(
            reservation_id=reservation_id,
            user=request.user,
            provider=serializer.validated_data["provider"],
            voucher=serializer.validated_data.get("voucher"),
        )
        payment = checkout.payment
        payment.expires_at = checkout.expires_at
        return Response(
            CheckoutSerializer(payment).data,
            status=status.HTTP_201_CREATED if checkout.created else status.HTTP_200_OK,
        )


@extend_schema(
    tags=["payments"],
    summary="Take a payment at the box office (CASHIER, ADMIN)",
    description="Records money taken at the counter (`cash` or `card_terminal`) as a "
    "SUCCEEDED payment and confirms the reservation: a live hold, or a confirmed "
    "reservation not paid yet. Answers with the reservation. A pending online payment "
    "of the reservation is cancelled at Stripe. The money goes into the open shift of "
    "the staff member taking it: without one, 409 `no_open_shift` and nothing taken.",
    request=BoxOfficePaymentCreateSerializer,
    examples=[OpenApiExample("Cash", value={"method": "cash"}, request_only=True)],
    responses={
        200: ReservationSerializer,
        **domain_errors(
            ShowtimeClosed,
            ShowtimeCancelled,
            AlreadyPaid,
            AlreadyCancelled,
            HoldExpired,
            TotalMismatch,
            NoOpenShift,
        ),
    },
)
class BoxOfficePaymentView(APIView):
    permission_classes = [MayTakePayment]

    def post(self, request, pk: int):
        reservation = _visible_reservation(request, pk)
        serializer = BoxOfficePaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.payment_take_at_box_office(
            reservation_id=reservation.pk,
            method=serializer.validated_data["method"],
            staff=request.user,
        )
        return Response(
            ReservationSerializer(booking_selectors.reservation_get(pk=reservation.pk)).data
        )


@extend_schema_view(
    get=extend_schema(
        # Not "reservations_tickets.pdf_retrieve" (from the path): a dot in an operation id
        # breaks the names clients generate from it.
        operation_id="reservations_tickets_pdf_retrieve",
        tags=["tickets"],
        summary="The tickets as a PDF to print (yours; CASHIER, ADMIN: any)",
        description="One valid ticket a page: movie, start in the cinema's time zone, hall, "
        "seat and type, price, the ticket's code as printed and its QR code (the same as "
        "`/api/tickets/{code}/qr.svg`). A sale at the counter ends with its receipt: seats "
        "and prices, total, payment method, cashier and time. `layout=a4` (default) or "
        "`thermal` (an 80 mm receipt roll, each page as long as its content). A reservation "
        "without valid tickets (a hold, cancelled, all used) is 409 `no_valid_tickets`; "
        "another customer's is 404.",
        parameters=[
            OpenApiParameter(
                "layout",
                str,
                OpenApiParameter.QUERY,
                enum=list(LAYOUTS),
                default=DEFAULT_LAYOUT,
                description="`a4`: one ticket per A4 page. `thermal`: an 80 mm roll.",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF (Content-Disposition: inline)."
            ),
            **domain_errors(UnknownLayout, NoTicketsToPrint),
        },
    )
)
class ReservationTicketsPDFView(APIView):
    """Here rather than in tickets: the receipt reads the box-office payment, and
    tickets may not import payments (payments/papers.py)."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = JSONWhateverTheAccept

    def get(self, request, pk: int):
        layout = request.query_params.get("layout", DEFAULT_LAYOUT)
        reservation = _visible_reservation(request, pk)
        document = papers.reservation_tickets_pdf(reservation=reservation, layout=layout)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="tickets-{reservation.pk}.pdf"'
        # The customer's tickets: no shared cache, and not kept once closed.
        response["Cache-Control"] = "private, no-store"
        return response


@extend_schema(
    tags=["payments"],
    auth=[],
    summary="Stripe's webhook (signed; no token)",
    description="Stripe's events about PaymentIntents (`payment_intent.succeeded`, "
    "`payment_intent.payment_failed`, `payment_intent.canceled`), refunds and disputes "
    "made at Stripe (`charge.refunded`, `charge.dispute.created`, "
    "`charge.dispute.closed`), verified with `STRIPE_WEBHOOK_SECRET` from the "
    "`Stripe-Signature` header. Each event is applied once: a repeated delivery answers "
    "200 (`duplicate`) and changes nothing; an event about a payment that is not ours is "
    "200 `unknown_payment`, recorded, and changes nothing. A success is applied as "
    "Stripe's own copy of the PaymentIntent says, read back first: if Stripe cannot be "
    "reached, 503 `payment_provider_unavailable` (Stripe sends the event again). A "
    "missing or wrong signature is 400 `invalid_signature`, and changes nothing.",
    parameters=[
        OpenApiParameter(
            "Stripe-Signature",
            str,
            OpenApiParameter.HEADER,
            required=True,
            description="`t=<timestamp>,v1=<HMAC-SHA256 of '<timestamp>.<body>'>`.",
        )
    ],
    request={"application/json": OpenApiTypes.OBJECT},
    responses={
        200: WebhookReceivedSerializer,
        # invalid_signature: missing, wrong or too old; also when webhooks are not
        # configured.
        **domain_errors(InvalidSignature, InvalidEvent, PaymentProviderUnavailable),
    },
)
class StripeWebhookView(APIView):
    """No JWT, no CSRF, no throttle: Stripe authenticates with the signature, and a
    throttled event would only be sent again."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = []  # the signature covers the raw body: never parse it first

    def post(self, request):
        outcome = services.webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response({"received": True, "outcome": outcome})


class PaymentFilter(NoEmptyValuesFilterSet):
    status = django_filters.ChoiceFilter(choices=PaymentStatus.choices)
    provider = django_filters.ChoiceFilter(choices=Provider.choices)
    method = django_filters.ChoiceFilter(choices=Method.choices)
    reservation = IdFilter(field_name="reservation_id")
    date_from = django_filters.DateFilter(
        method="filter_from", label="Created on or after this day (YYYY-MM-DD, TIME_ZONE)."
    )
    date_to = django_filters.DateFilter(
        method="filter_to", label="Created on or before this day (YYYY-MM-DD, TIME_ZONE)."
    )

    class Meta:
        model = Payment
        fields = ["status", "provider", "method", "reservation"]

    def __init__(self, data=None, *args, **kwargs):
        # ``from`` and ``to`` are Python keywords: read them under other names.
        if data is not None:
            data = data.copy()
            for name, field in (("from", "date_from"), ("to", "date_to")):
                if name in data:
                    data[field] = data.pop(name)[-1]
        super().__init__(data, *args, **kwargs)

    @property
    def errors(self):
        # Errors name the parameters the client sent: ``from`` and ``to``.
        errors = super().errors
        return ErrorDict(
            {
                {"date_from": "from", "date_to": "to"}.get(name, name): error
                for name, error in errors.items()
            },
            renderer=errors.renderer,
        )

    @staticmethod
    def _day(value, name: str):
        if not day_in_range(value):
            raise ValidationError({name: [DAY_OUT_OF_RANGE]})
        return local_day_range(value)

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=self._day(value, "from")[0])

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=self._day(value, "to")[1])


_DAY_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="Created on or after this day (TIME_ZONE)."
    ),
    OpenApiParameter(
        "to", OpenApiTypes.DATE, description="Created on or before this day (TIME_ZONE)."
    ),
    # The filter's own names for them, which the schema need not show.
    OpenApiParameter("date_from", exclude=True),
    OpenApiParameter("date_to", exclude=True),
]


@extend_schema_view(
    list=extend_schema(
        tags=["payments"],
        summary="Your payments (CASHIER, ADMIN: everyone's)",
        description="Newest first; filter by `status`, `provider`, `method`, "
        "`reservation` and the days `from`..`to` of their creation.",
        parameters=_DAY_PARAMETERS,
        responses={200: PaymentSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=["payments"],
        summary="One payment (yours; CASHIER, ADMIN: any)",
        responses={200: PaymentSerializer},
    ),
)
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    filterset_class = PaymentFilter
    ordering_fields = ["created_at", "id"]
    lookup_value_regex = r"[0-9]+"
    queryset = Payment.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return selectors.payment_list(user=self.request.user)

    def get_object(self):
        if not 0 < int(self.kwargs["pk"]) <= MAX_ID:
            raise NotFound()
        return super().get_object()

"""Thin views over the booking services: validate input, call a service, render."""

import django_filters
from django.db import DEFAULT_DB_ALIAS
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors, services
from bookings.exceptions import (
    AlreadyCancelled,
    AlreadyConfirmed,
    ConfirmationSentRecently,
    DuplicateSeats,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    InvalidSeatNumber,
    InvalidSeats,
    NoBlockAvailable,
    NoEmailAddress,
    NoSeatsChosen,
    NotConfirmed,
    NotHeld,
    NotReservationOwner,
    ReservationCheckedIn,
    SeatLimitExceeded,
    SeatsUnavailable,
    ShowtimeCancelled,
    ShowtimeClosed,
    ShowtimeNotFound,
    TooManySeats,
)
from bookings.models import Reservation, ReservationStatus
from bookings.serializers import (
    ConfirmationResentSerializer,
    GuestSerializer,
    MyBookingSerializer,
    ReservationCreateSerializer,
    ReservationSerializer,
    SeatMapSerializer,
    ShowBookResponseSerializer,
    ShowBookSerializer,
    ShowtimeCancellationSerializer,
    ShowtimeCancelSerializer,
    booking_data,
    next_step_data,
    plain_booking,
    seat_arguments,
    seat_map_data,
    showtime_cancellation_data,
)
from cinema.models import Seat, Showtime
from core.conditional import cache_headers, not_modified
from core.filters import IdFilter, NoEmptyValuesFilterSet, StableOrderingFilter
from core.limits import MAX_ID
from core.schema import NOT_MODIFIED, POLL_PARAMETERS, domain_errors, error_responses
from pricing.exceptions import (
    AgeRestricted,
    UnknownTicketType,
    VoucherExhausted,
    VoucherExpired,
    VoucherInvalid,
    VoucherNotApplicable,
)
from pricing.throttles import VOUCHER_THROTTLES
from users import roles
from users.authentication import PublicReadsMixin
from users.permissions import IsAdminRole, MayLookUpBookings, MayResendConfirmation
from waitingroom.exceptions import QueueClosed, QueuePassRequired, QueueUnavailable
from waitingroom.services import queue_pass_check

# What the 201 of a booking carries besides its body.
_CREATED_HEADERS = [
    OpenApiParameter(
        name="Location",
        type=str,
        location=OpenApiParameter.HEADER,
        response=[201],
        required=True,
        description="The new reservation's path, e.g. `/api/reservations/42/`.",
    ),
    OpenApiParameter(
        name="Idempotent-Replayed",
        type=str,
        location=OpenApiParameter.HEADER,
        response=[201],
        enum=["true"],
        description="`true` when this answer replays the first request of the same "
        "`Idempotency-Key`; absent otherwise.",
    ),
]

IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID). A retry with the same key and body "
    "returns the first reservation (201) and books nothing more; the same key with a "
    "different body is 422. Keys are remembered for IDEMPOTENCY_KEY_HOURS (24).",
)

QUEUE_PASS_HEADER = OpenApiParameter(
    name="Queue-Pass",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The pass of the showtime's waiting room (GET "
    "/api/showtimes/{id}/queue/ once admitted). Needed only for a showtime with a waiting "
    "room: without a valid one (yours, this showtime's, unexpired) 403 "
    "`queue_pass_required`.",
)

# Everything a booking can refuse, on both booking routes.
_BOOKING_ERRORS = (
    QueuePassRequired,
    QueueClosed,
    QueueUnavailable,
    NoSeatsChosen,
    DuplicateSeats,
    TooManySeats,
    InvalidSeats,
    SeatLimitExceeded,
    ShowtimeClosed,
    ShowtimeCancelled,
    InvalidIdempotencyKey,
    SeatsUnavailable,
    IdempotencyKeyReused,
)
# What prices can refuse: ticket types and vouchers (POST /api/reservations/ and the
# counter's sales).
PRICING_ERRORS = (
    UnknownTicketType,
    AgeRestricted,
    VoucherInvalid,
    VoucherExhausted,
    VoucherExpired,
    VoucherNotApplicable,
)
_SEATS_TAKEN_EXAMPLE = OpenApiExample(
    "Seats taken",
    value={
        "detail": "Some seats are already held or booked.",
        "code": "seats_unavailable",
        "seats": [{"id": 17, "label": "B5"}],
    },
    response_only=True,
    status_codes=["409"],
)

_CREATE_EXAMPLES = [
    OpenApiExample(
        "Book two seats",
        value={"showtime": 12, "seats": [101, 102]},
        request_only=True,
    ),
    OpenApiExample(
        "Hold two seats for HOLD_MINUTES",
        value={"showtime": 12, "seats": [101, 102], "hold": True},
        request_only=True,
    ),
    OpenApiExample(
        "Best available: four seats together",
        value={"showtime": 12, "quantity": 4},
        request_only=True,
    ),
    OpenApiExample(
        "Best available: two VIP seats",
        value={"showtime": 12, "quantity": 2, "seat_type": "VIP"},
        request_only=True,
    ),
    OpenApiExample(
        "A family: two adults, two children, a voucher",
        value={
            "showtime": 12,
            "seats": [101, 102, {"id": 103, "type": "child"}, {"id": 104, "type": "child"}],
            "voucher": "FAMILY10",
        },
        request_only=True,
    ),
]
_NO_BLOCK_EXAMPLE = OpenApiExample(
    "No block that big",
    value={
        "detail": "No 6 adjacent free seats in one row; the largest block free has 4.",
        "code": "no_block_available",
        "largest": 4,
    },
    response_only=True,
    status_codes=["409"],
)


class ReservationFilter(NoEmptyValuesFilterSet):
    user = IdFilter(field_name="user_id", help_text="ADMIN: one customer's reservations.")
    showtime = IdFilter(field_name="showtime_id")
    status = django_filters.ChoiceFilter(choices=ReservationStatus.choices)

    class Meta:
        model = Reservation
        fields = ["user", "showtime", "status"]


class ReservationSearchFilter(SearchFilter):
    """``?search=``: what it finds is ``bookings.selectors.reservation_search``, the rule
    the admin's search box follows too. It searches only what the user may see (a
    customer, their own reservations)."""

    search_description = (
        "Find reservations: a number (`4998` or `#4998`) finds that reservation; a ticket "
        "code as printed or typed (any case, with or without dashes) finds the reservation "
        "holding it; otherwise every word must match part of the customer's name (a "
        "walk-in's, or the account's first or last name), email, username, the movie or "
        f"the hall, in any case. At most {selectors.SEARCH_MAX_LENGTH} characters; empty "
        "finds everything."
    )

    def filter_queryset(self, request, queryset, view):
        term = request.query_params.get(self.search_param, "")
        if len(term) > selectors.SEARCH_MAX_LENGTH:
            raise ValidationError(
                {self.search_param: [f"Give at most {selectors.SEARCH_MAX_LENGTH} characters."]}
            )
        return selectors.reservation_search(queryset, term)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["maxLength"] = selectors.SEARCH_MAX_LENGTH
        return parameters


class GuestListFilter(NoEmptyValuesFilterSet):
    status = django_filters.ChoiceFilter(choices=ReservationStatus.choices)

    class Meta:
        model = Reservation
        fields = ["status"]


def _cancel(request, reservation: Reservation) -> Reservation:
    # Staff cancelling a counter sale hand its money back there and then.
    at_counter = reservation.at_counter and request.user.has_perm(roles.CANCEL_COUNTER_SALES)
    return services.reservation_cancel(
        reservation=reservation, by=request.user, at_counter=at_counter
    )


def _render(reservation: Reservation) -> dict:
    return ReservationSerializer(selectors.reservation_get(pk=reservation.pk)).data


def _render_booking(result: services.BookingResult) -> dict:
    # A new booking carries everything its answer shows: rendering it from the result
    # saves reading it back (two queries) and a ModelSerializer.
    return booking_data(result) if result.complete else _render(result.reservation)


@extend_schema(
    tags=["showtimes"],
    auth=[],
    summary="Live seat map of a showtime",
    description="Every seat of the hall with its price for this showtime and its status "
    "(`available`, `held`, `booked`), plus counts. A lapsed hold shows as available.\n\n"
    "To show it live, poll it: keep the `ETag` and send it back as `If-None-Match`; the "
    "answer is 304 with no body while no seat changed (a hold that lapses counts as a "
    "change). `Cache-Control: max-age` says how long the last answer may be reused.",
    parameters=POLL_PARAMETERS,
    responses={200: SeatMapSerializer, 304: NOT_MODIFIED},
)
class SeatMapView(PublicReadsMixin, APIView):
    permission_classes = [AllowAny]

    def get(self, request, showtime_id: int):
        state = selectors.seat_map_state(showtime_id=showtime_id)
        unchanged = not_modified(request, state.etag)
        if unchanged is not None:
            return unchanged
        data = seat_map_data(selectors.seat_map_build(state))
        return Response(data, headers=cache_headers(state.etag))


@extend_schema_view(
    list=extend_schema(
        tags=["reservations"],
        summary="Your reservations (counter staff: everyone's)",
        description="Newest first. Staff who look bookings up (CASHIER, ADMIN) see all "
        "and may filter by `user`; everyone may filter by `showtime` and `status`, and "
        "find by `search` (a customer searches only their own reservations).",
        responses={200: ReservationSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=["reservations"],
        summary="One reservation (yours; CASHIER, ADMIN: any)",
        responses={200: ReservationSerializer},
    ),
    create=extend_schema(
        tags=["reservations"],
        summary="Book or hold seats, all or nothing",
        description="Books the seats (status CONFIRMED) or, with `hold: true`, holds them "
        "(status HELD, `expires_at` set) until confirmed. With PAYMENT_REQUIRED on every "
        "booking is a hold, confirmed by its payment (`/checkout/` or the box office). "
        "Send an `Idempotency-Key` header to make retries safe. A `showtime` that names "
        "none is 400 `showtime_not_found`.\n\n"
        "A showtime with a waiting room sells only with its pass in the `Queue-Pass` "
        "header (see POST /api/showtimes/{id}/queue/): without a valid one 403 "
        "`queue_pass_required`; a closed (sold-out) queue 409 `queue_closed`; the queue's "
        "store (Redis) down 503 `queue_unavailable` with Retry-After, for that showtime "
        "only.\n\n"
        "Best available: `quantity` instead of `seats` (exactly one of the two) books the "
        "best block of that many adjacent free seats in one row, chosen under the same "
        "lock as any booking: the centre of the rows about two thirds back first, never "
        "leaving a single seat alone between taken ones when the row allows otherwise; "
        "`seat_type` keeps to seats of that type (left out: STANDARD or VIP, never mixed "
        "in a block). No such block is 409 `no_block_available` with `largest`, the "
        "largest block of adjacent free seats there is.",
        request=ReservationCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER, QUEUE_PASS_HEADER, *_CREATED_HEADERS],
        examples=[*_CREATE_EXAMPLES, _SEATS_TAKEN_EXAMPLE, _NO_BLOCK_EXAMPLE],
        responses={
            201: ReservationSerializer,
            **domain_errors(ShowtimeNotFound, *_BOOKING_ERRORS, NoBlockAvailable, *PRICING_ERRORS),
        },
    ),
    destroy=extend_schema(
        tags=["reservations"],
        summary="Cancel a reservation",
        description="Owner or ADMIN (a counter sale: CASHIER too, who hands its money back "
        "at once: `refunded`), before the showtime's booking cutoff. Answers 200 with "
        "the cancelled reservation (it keeps its seats and prices); the seats are bookable "
        "again at once, its tickets void. A paid reservation is refunded in full through "
        "the provider that took the money (`payment.status` `refunded`, or "
        "`refund_pending` / `refund_failed` until the provider has done it). Cancelling "
        "twice is 409 `already_cancelled`; an expired hold is 409 `hold_expired`; a "
        "reservation with a ticket checked in at the door is 409 `checked_in`; after the "
        "start 400 `showtime_closed`.",
        responses={
            200: ReservationSerializer,
            # 403 not_owner: counter staff see every reservation but cancel only counter
            # sales (a customer sees only their own: 404 for another's).
            **domain_errors(
                NotReservationOwner,
                ShowtimeClosed,
                AlreadyCancelled,
                HoldExpired,
                ReservationCheckedIn,
            ),
        },
    ),
    confirm=extend_schema(
        tags=["reservations"],
        summary="Confirm a hold",
        description="HELD -> CONFIRMED, by the customer who holds it. An expired hold is "
        "409 `hold_expired`; a confirmed one 409 `already_confirmed`; a cancelled one 409 "
        "`already_cancelled`. With PAYMENT_REQUIRED on a hold is confirmed only by its "
        "payment: 409 `payment_required` (see `/checkout/`).",
        request=None,
        responses={
            200: ReservationSerializer,
            **domain_errors(
                ShowtimeClosed,
                NotReservationOwner,
                AlreadyConfirmed,
                AlreadyCancelled,
                HoldExpired,
                NotHeld,
            ),
        },
    ),
    resend_confirmation=extend_schema(
        tags=["reservations"],
        summary="Re-send the confirmation email (CASHIER, ADMIN)",
        description="Writes the confirmation email of a CONFIRMED reservation, with its "
        "tickets, to the outbox again: 202 with the address it goes to (the email given "
        "at the counter, else the customer's account's), delivered by the email worker. "
        "At most one re-send a minute per reservation (the first confirmation does not "
        "count, so one can be re-sent right after a sale): 429 "
        "`confirmation_sent_recently` with Retry-After. A reservation that is not "
        "confirmed is 409 `not_confirmed`; one without an email address 409 `no_email`.",
        request=None,
        responses={
            202: ConfirmationResentSerializer,
            **domain_errors(NotConfirmed, NoEmailAddress, ConfirmationSentRecently),
        },
    ),
)
class ReservationViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ReservationSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = [DjangoFilterBackend, ReservationSearchFilter, StableOrderingFilter]
    filterset_class = ReservationFilter
    ordering_fields = ["created_at", "id"]
    queryset = Reservation.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reservation.objects.none()
        return selectors.reservation_list(user=self.request.user)

    def get_throttles(self):
        if self.action == "create":
            return [*super().get_throttles(), *(t() for t in VOUCHER_THROTTLES)]
        return super().get_throttles()

    def create(self, request, *args, **kwargs):
        data = plain_booking(request.data)
        if data is None:
            serializer = ReservationCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        queue_pass_check(
            user=request.user,
            showtime_id=data["showtime"],
            queue_pass=request.headers.get("Queue-Pass"),
        )
        result = services.reservation_create(
            user=request.user,
            showtime_id=data["showtime"],
            **seat_arguments(data),
            hold=data["hold"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        headers = {"Location": f"/api/reservations/{result.reservation.pk}/"}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(_render_booking(result), status=status.HTTP_201_CREATED, headers=headers)

    def destroy(self, request, *args, **kwargs):
        return Response(_render(_cancel(request, self.get_object())))

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        reservation = services.reservation_confirm(reservation=self.get_object(), user=request.user)
        return Response(_render(reservation))

    @action(
        detail=True,
        methods=["post"],
        url_path="resend-confirmation",
        permission_classes=[MayResendConfirmation],
    )
    def resend_confirmation(self, request, pk=None):
        reservation = self.get_object()
        to = services.reservation_resend_confirmation(reservation_id=reservation.pk)
        body = {
            "reservation": reservation.pk,
            "to": to,
            "detail": f"The confirmation of reservation {reservation.pk} is on its way to {to}.",
        }
        return Response(ConfirmationResentSerializer(body).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["showtimes"],
    summary="A showtime's guest list (counter staff)",
    description="Every reservation of the showtime, live or not (filter with `status`), "
    "in the order they were made: its number (`id`), customer and contact email, seats, "
    "total, payment status and how many of its tickets were used at the door. For staff "
    "who look bookings up (CASHIER, ADMIN); others 403 `permission_denied`. An unknown "
    "showtime is 404.",
    responses={200: GuestSerializer(many=True), **error_responses(401, 403, 404)},
)
class ShowtimeGuestListView(generics.ListAPIView):
    serializer_class = GuestSerializer
    permission_classes = [IsAuthenticated, MayLookUpBookings]
    filter_backends = [DjangoFilterBackend]
    filterset_class = GuestListFilter
    queryset = Reservation.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reservation.objects.none()
        showtime_id = self.kwargs["showtime_id"]
        if not 0 < showtime_id <= MAX_ID or not Showtime.objects.filter(pk=showtime_id).exists():
            raise NotFound()
        return selectors.showtime_guest_list(showtime_id=showtime_id)


@extend_schema(
    tags=["showtimes"],
    summary="The cinema cancels a screening (ADMIN)",
    description="Before or after its start, with a `reason`: the showtime is marked "
    "cancelled (it sells nothing more: bookings 409 `showtime_cancelled`), and every live "
    "reservation of it is cancelled: tickets void, card payments refunded through Stripe "
    "(`refund_pending` until Stripe has done it; `sync_payments` retries), money taken at "
    "the box office owed (`refund_pending` until staff hand it back), and every customer "
    "with an email gets one cancellation email giving the reason and how the money comes "
    "back. Resumable: when a run stopped midway (a crash, the database busy), calling it "
    "again finishes the rest (200) and never refunds twice; once everything is done it is "
    "409 `showtime_cancelled`. The first reason given stays the showtime's. An unknown "
    "showtime is 404.",
    request=ShowtimeCancelSerializer,
    responses={
        200: ShowtimeCancellationSerializer,
        **error_responses(401, 403, 404),
        **domain_errors(ShowtimeCancelled),
    },
)
class ShowtimeCancelView(APIView):
    permission_classes = [IsAdminRole]

    def post(self, request, showtime_id: int):
        if not 0 < showtime_id <= MAX_ID or not Showtime.objects.filter(pk=showtime_id).exists():
            raise NotFound()
        serializer = ShowtimeCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            done = services.showtime_cancel(
                showtime_id=showtime_id, reason=serializer.validated_data["reason"], by=request.user
            )
        except ShowtimeNotFound:
            raise NotFound() from None  # deleted meanwhile
        return Response(ShowtimeCancellationSerializer(showtime_cancellation_data(done)).data)


# --- compatibility routes of the API Marquee replaces ----------------------------------
@extend_schema(
    tags=["compatibility"],
    summary="Book one seat by its number (compatibility)",
    description="`seat_number` is the seat's 1-based position in the hall, row by row. "
    "Same engine and answers as POST /api/reservations/, except that an unknown show is "
    "404 (the path names it), where POST /api/reservations/ answers 400 "
    "`showtime_not_found` (its path exists; the body names the showtime). With "
    "PAYMENT_REQUIRED on the booking is a hold, and `next` says how to pay for it.",
    request=ShowBookSerializer,
    parameters=[IDEMPOTENCY_HEADER, QUEUE_PASS_HEADER],
    examples=[
        OpenApiExample("Seat 7", value={"seat_number": 7}, request_only=True),
        _SEATS_TAKEN_EXAMPLE,
    ],
    responses={
        201: ShowBookResponseSerializer,
        **domain_errors(InvalidSeatNumber, *_BOOKING_ERRORS),
    },
)
class ShowBookView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, showtime_id: int):
        serializer = ShowBookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # From the primary, like the booking itself: a replica may not know a new showtime.
        primary = DEFAULT_DB_ALIAS
        showtime = Showtime.objects.using(primary).filter(pk=showtime_id).values("hall_id").first()
        if showtime is None:
            raise NotFound()
        number = serializer.validated_data["seat_number"]
        seat_id = None
        if 0 < number <= MAX_ID:
            seat_id = (
                Seat.objects.using(primary)
                .filter(hall_id=showtime["hall_id"], position=number)
                .values_list("pk", flat=True)
                .first()
            )
        if seat_id is None:
            raise InvalidSeatNumber(
                detail=f"The hall has no seat number {number}.", seat_number=number
            )
        queue_pass_check(
            user=request.user, showtime_id=showtime_id, queue_pass=request.headers.get("Queue-Pass")
        )
        try:
            result = services.reservation_create(
                user=request.user,
                showtime_id=showtime_id,
                seat_ids=[seat_id],
                idempotency_key=request.headers.get("Idempotency-Key"),
            )
        except ShowtimeNotFound:
            raise NotFound() from None
        data = _render_booking(result)
        if data["status"] == ReservationStatus.HELD:
            data["next"] = next_step_data(data)  # a hold: PAYMENT_REQUIRED made it one
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["compatibility"],
    summary="Your reservations (compatibility)",
    description="Each with `tickets_url`, the list of its tickets and their QR codes.",
    responses={200: MyBookingSerializer(many=True)},
)
class MyBookingsView(generics.ListAPIView):
    serializer_class = MyBookingSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reservation.objects.none()
        return selectors.reservation_queryset().filter(user=self.request.user)


@extend_schema(
    tags=["compatibility"],
    summary="Cancel a reservation (compatibility)",
    description="Same as DELETE /api/reservations/{id}/ (409 `checked_in` once a ticket "
    "was used at the door).",
    request=None,
    responses={
        200: ReservationSerializer,
        **domain_errors(
            NotReservationOwner,
            ShowtimeClosed,
            AlreadyCancelled,
            HoldExpired,
            ReservationCheckedIn,
        ),
    },
)
class BookingCancelView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, pk: int):
        reservation = selectors.reservation_list(user=request.user).filter(pk=pk).first()
        if reservation is None:
            raise NotFound()
        return Response(_render(_cancel(request, reservation)))

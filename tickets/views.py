"""Thin views over the ticket services: the customer's tickets and QR codes, and the
check-in at the door."""

from datetime import datetime

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.selectors import reservation_list
from core.limits import MAX_ID
from core.schema import domain_errors, error_responses
from tickets import selectors, services
from tickets.codes import normalise
from tickets.exceptions import DoorRefusal, TicketNotFound
from tickets.models import Ticket
from tickets.qr import qr_png, qr_svg
from tickets.serializers import CheckInRefusalSerializer, CheckInSerializer, TicketSerializer
from tickets.throttles import CheckInThrottle, note_unknown_code
from users.permissions import MayCheckIn

_datetime = serializers.DateTimeField()


def _json(value):
    """A refusal's extra value as the API writes it (times like every other time)."""
    return _datetime.to_representation(value) if isinstance(value, datetime) else value


@extend_schema(
    tags=["tickets"],
    summary="The tickets of a reservation (yours; CASHIER, ADMIN: any)",
    description="One ticket per seat once the reservation is CONFIRMED; `void` after a "
    "cancel, `used` once checked in. Another customer's reservation is 404.",
    responses={200: TicketSerializer(many=True), **error_responses(401, 404)},
)
class ReservationTicketsView(generics.ListAPIView):
    serializer_class = TicketSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []
    queryset = Ticket.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        pk = self.kwargs["pk"]
        if (
            not 0 < pk <= MAX_ID
            or not reservation_list(user=self.request.user).filter(pk=pk).exists()
        ):
            raise NotFound()
        return selectors.reservation_tickets(reservation_id=pk)


class JSONWhateverTheAccept(BaseContentNegotiation):
    """The image and PDF views answer their file, or a JSON error whatever the client
    accepts (an ``Accept: image/png`` must not turn a 404 into a 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _TicketQRView(APIView):
    permission_classes = [IsAuthenticated]
    content_negotiation_class = JSONWhateverTheAccept
    media_type = ""

    @staticmethod
    def draw(code: str) -> bytes:
        raise NotImplementedError

    def get(self, request, code: str):
        stored = normalise(code)
        ticket = selectors.ticket_for_user(code=stored, user=request.user) if stored else None
        if ticket is None:
            raise NotFound()
        response = HttpResponse(self.draw(ticket.code), content_type=self.media_type)
        # The image of a code never changes; it is the customer's, so no shared cache.
        response["Cache-Control"] = "private, max-age=86400"
        return response


def _qr_schema(media_type: str, kind: str):
    return extend_schema_view(
        get=extend_schema(
            # Not drf-spectacular's "tickets_qr.svg_retrieve" (from the path): a dot in
            # an operation id breaks the names clients generate from it.
            operation_id=f"tickets_qr_{kind.lower()}_retrieve",
            tags=["tickets"],
            summary=f"A ticket's QR code as {kind} (yours; staff: any)",
            description="The QR code encodes the ticket's code. The code may be given with or "
            "without its dashes, in any case. Another customer's ticket is 404.",
            responses={
                (200, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description=f"The QR code ({media_type})."
                ),
                **error_responses(401, 404),
            },
        )
    )


@_qr_schema("image/svg+xml", "SVG")
class TicketQRSVGView(_TicketQRView):
    media_type = "image/svg+xml"
    draw = staticmethod(qr_svg)


@_qr_schema("image/png", "PNG")
class TicketQRPNGView(_TicketQRView):
    media_type = "image/png"
    draw = staticmethod(qr_png)


_REFUSAL_EXAMPLE = {
    "detail": "This ticket was already checked in.",
    "code": "already_checked_in",
    "checked_in_at": "2026-03-14T19:41:07+01:00",
    "ticket": {
        "code": "K3F97QXMA2B4C6D8E9F0G1H2J3K4",
        "display_code": "K3F9-7QXM-A2B4-C6D8-E9F0-G1H2-J3K4",
        "status": "used",
        "reservation": 812,
        "seat_label": "F7",
        "seat_type": "STANDARD",
        "showtime": 57,
        "movie_title": "Orbit of Ashes",
        "hall_name": "Grand",
        "start_time": "2026-03-14T20:00:00+01:00",
        "checked_in_at": "2026-03-14T19:41:07+01:00",
        "qr_svg": "http://127.0.0.1:8000/api/tickets/K3F97QXMA2B4C6D8E9F0G1H2J3K4/qr.svg",
        "qr_png": "http://127.0.0.1:8000/api/tickets/K3F97QXMA2B4C6D8E9F0G1H2J3K4/qr.png",
    },
}


@extend_schema(
    tags=["tickets"],
    summary="Check a ticket in at the door (USHER, CASHIER, ADMIN)",
    description="Admits the ticket once: 200 with the ticket, now `used`, `checked_in_at` "
    "set. Two scanners reading one code at the same moment admit it once; the other gets "
    "409 `already_checked_in`. Every refusal names the ticket (seat, showtime). The doors "
    "open DOORS_OPEN_MINUTES (30) before the start. Throttled per staff user "
    "(THROTTLE_CHECK_IN_RATE).",
    request=CheckInSerializer,
    examples=[
        OpenApiExample(
            "Scan at the door of showtime 57",
            value={"code": "K3F9-7QXM-A2B4-C6D8-E9F0-G1H2-J3K4", "showtime": 57},
            request_only=True,
        )
    ],
    responses={
        200: TicketSerializer,
        **error_responses(400, 401, 403),
        **domain_errors(TicketNotFound),
        409: OpenApiResponse(
            CheckInRefusalSerializer,
            description="The ticket does not admit now: `already_checked_in` (with the first "
            "scan's `checked_in_at`), `ticket_void` (its reservation was cancelled), "
            "`wrong_showtime` (the scanner is set to another showtime), `too_early` (with "
            "`doors_open_at`), `showtime_ended`.",
            examples=[
                OpenApiExample(
                    "Second scan", value=_REFUSAL_EXAMPLE, response_only=True, status_codes=["409"]
                )
            ],
        ),
        **error_responses(429, 503),
    },
)
class CheckInView(APIView):
    permission_classes = [MayCheckIn]
    throttle_classes = [CheckInThrottle]

    def post(self, request):
        serializer = CheckInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        context = {"request": request}
        try:
            ticket = services.ticket_check_in(
                code=serializer.validated_data["code"],
                showtime_id=serializer.validated_data.get("showtime"),
                by=request.user,
            )
        except TicketNotFound:
            note_unknown_code(request.user)
            raise
        except DoorRefusal as refusal:
            refusal.extra = {
                **{key: _json(value) for key, value in refusal.extra.items()},
                "ticket": TicketSerializer(refusal.ticket, context=context).data,
            }
            raise
        return Response(TicketSerializer(ticket, context=context).data)

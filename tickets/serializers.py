from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cinema.models import SeatType
from core.limits import MAX_ID
from core.serializers import StrictCharField, StrictModelSerializer
from tickets.exceptions import DOOR_REFUSAL_CODES
from tickets.models import Ticket, TicketStatus


# --- input ------------------------------------------------------------------------------
class CheckInSerializer(serializers.Serializer):
    code = StrictCharField(
        max_length=64,
        help_text="The ticket's code as scanned or typed: any case, dashes and spaces ignored.",
    )
    showtime = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The showtime this scanner admits to; a ticket for another one is 409 "
        "`wrong_showtime`. Leave out to admit any showtime's tickets.",
    )


# --- output -----------------------------------------------------------------------------
# An inline enum: a component of its own would collide with the reservation's status
# enum on the field name "status" (the same choice as the seat map's status field).
@extend_schema_field({"type": "string", "enum": list(TicketStatus.values)})
class _TicketStatusField(serializers.ChoiceField):
    pass


class TicketSerializer(StrictModelSerializer):
    """A ticket with what the customer and the door need to see."""

    display_code = serializers.CharField(
        read_only=True, help_text="The code in groups of four, for people."
    )
    status = _TicketStatusField(
        choices=TicketStatus.choices,
        read_only=True,
        help_text="`valid`; `used` once checked in; `void` once its reservation is cancelled.",
    )
    reservation = serializers.IntegerField(source="reservation_id", read_only=True)
    seat_label = serializers.CharField(source="seat.label", read_only=True)
    seat_type = serializers.ChoiceField(
        source="seat.seat_type", choices=SeatType.choices, read_only=True
    )
    ticket_type = serializers.CharField(
        read_only=True, help_text="Its ticket type: a code of the showtime's price list."
    )
    ticket_type_name = serializers.CharField(
        read_only=True, help_text="The ticket type as people read it (e.g. `Child`)."
    )
    showtime = serializers.IntegerField(source="showtime_id", read_only=True)
    movie_title = serializers.CharField(source="showtime.movie.title", read_only=True)
    hall_name = serializers.CharField(source="showtime.hall.name", read_only=True)
    start_time = serializers.DateTimeField(source="showtime.start_time", read_only=True)
    qr_svg = serializers.SerializerMethodField(help_text="The QR code as SVG.")
    qr_png = serializers.SerializerMethodField(help_text="The QR code as PNG.")

    class Meta:
        model = Ticket
        fields = [
            "code",
            "display_code",
            "status",
            "reservation",
            "seat_label",
            "seat_type",
            "ticket_type",
            "ticket_type_name",
            "showtime",
            "movie_title",
            "hall_name",
            "start_time",
            "checked_in_at",
            "qr_svg",
            "qr_png",
        ]
        read_only_fields = fields

    def _url(self, name: str, ticket: Ticket) -> str:
        path = reverse(name, kwargs={"code": ticket.code})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_qr_svg(self, ticket: Ticket) -> str:
        return self._url("ticket-qr-svg", ticket)

    @extend_schema_field(OpenApiTypes.URI)
    def get_qr_png(self, ticket: Ticket) -> str:
        return self._url("ticket-qr-png", ticket)


# --- documentation of the door's refusals -----------------------------------------------
@extend_schema_field({"type": "string", "enum": list(DOOR_REFUSAL_CODES)})
class _RefusalCodeField(serializers.CharField):
    pass


class CheckInRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = _RefusalCodeField()
    ticket = TicketSerializer(help_text="The ticket scanned: seat and showtime for the screen.")
    checked_in_at = serializers.DateTimeField(
        required=False, help_text="`already_checked_in`: when it was first scanned."
    )
    doors_open_at = serializers.DateTimeField(
        required=False, help_text="`too_early`: when its doors open."
    )
    scanner_showtime = serializers.IntegerField(
        required=False, help_text="`wrong_showtime`: the showtime the scanner is set to."
    )

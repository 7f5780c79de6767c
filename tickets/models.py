from django.conf import settings
from django.db import models
from django.db.models import Q

from pricing.services import ticket_type_name
from tickets.codes import CODE_LENGTH, display


class TicketStatus(models.TextChoices):
    VALID = "valid", "Valid"
    USED = "used", "Used (checked in)"
    VOID = "void", "Void (reservation cancelled)"


class Ticket(models.Model):
    """The right to one seat of one showtime, shown at the door as a QR code.

    Issued for every seat of a reservation when it becomes CONFIRMED (whichever way),
    voided when it is cancelled, used once at the door. ``code`` is the secret the QR
    code carries (tickets/codes.py); the unique index keeps it one ticket's.
    ``showtime`` repeats the reservation's (which never changes) so the door and the
    reports find a showtime's tickets without a join.
    """

    code = models.CharField(max_length=CODE_LENGTH, unique=True, editable=False)
    reservation = models.ForeignKey(
        "bookings.Reservation", on_delete=models.PROTECT, related_name="tickets"
    )
    showtime = models.ForeignKey(
        "cinema.Showtime", on_delete=models.PROTECT, related_name="tickets"
    )
    seat = models.ForeignKey("cinema.Seat", on_delete=models.PROTECT, related_name="tickets")
    status = models.CharField(
        max_length=8, choices=TicketStatus.choices, default=TicketStatus.VALID
    )
    issued_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        permissions = [("check_in", "Can check tickets in at the door")]
        # No (showtime, status) index: InnoDB would make it the showtime foreign key's
        # index, and a change of ``status`` in an FK's index re-checks the key, taking a
        # shared lock on the showtime's row - so a check-in would wait for every booking
        # of that showtime (docs/tickets.md). The plain FK index on showtime serves the
        # door's and the reports' counts (a showtime has a hall's worth of tickets).
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "seat"], name="tickets_ticket_one_per_seat"
            ),
            # Used exactly when checked in: the door's answer and the reports agree.
            models.CheckConstraint(
                condition=(
                    Q(status=TicketStatus.USED, checked_in_at__isnull=False)
                    | (~Q(status=TicketStatus.USED) & Q(checked_in_at__isnull=True))
                ),
                name="tickets_ticket_used_when_checked_in",
            ),
        ]

    def __str__(self):
        return self.display_code

    @property
    def ticket_type(self) -> str:
        """Its seat's ticket type (a code of the price list): read with the ticket by
        ``tickets.selectors`` (``claim_ticket_type``), or from its claim."""
        annotated = getattr(self, "claim_ticket_type", None)
        if annotated is not None:
            return annotated
        claim = self.reservation.seats.filter(seat_id=self.seat_id).order_by("-pk").first()
        return claim.ticket_type if claim is not None else "adult"

    @property
    def ticket_type_name(self) -> str:
        return ticket_type_name(self.showtime.price_list_id, self.ticket_type)

    @property
    def display_code(self) -> str:
        return display(self.code)

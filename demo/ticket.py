"""A ticket to look at in development: the demo customer's, booked through the engine
like any other (so its confirmation email is in the outbox too). With PAYMENT_REQUIRED on,
the booking is a hold, paid at the box office by the first admin, as staff would take
it; the hold is never left to lapse, and the next run finds the ticket."""

from django.db.models import Q
from django.utils import timezone

from bookings import services as booking_services
from bookings.models import ReservationStatus, SeatStatus
from bookings.selectors import showtime_seat_map
from cinema.models import Showtime
from demo.sales import pay_demo_sale
from tickets.models import Ticket, TicketStatus
from users.models import User

DEMO_CUSTOMER = "customer"


def _upcoming_ticket(user, now) -> Ticket | None:
    return (
        Ticket.objects.filter(
            reservation__user=user, status=TicketStatus.VALID, showtime__start_time__gt=now
        )
        .select_related("seat", "showtime__movie", "showtime__hall")
        .order_by("showtime__start_time", "pk")
        .first()
    )


def _book_a_seat(user, now) -> bool:
    """One free seat, in the middle of the hall, of the next showtime that has one."""
    showtimes = Showtime.objects.filter(Q(start_time__gt=now)).order_by("start_time", "pk")
    for showtime in showtimes[:20]:
        free = [
            seat["id"]
            for seat in showtime_seat_map(showtime_id=showtime.pk)["seats"]
            if seat["status"] == SeatStatus.AVAILABLE
        ]
        if free:
            reservation = booking_services.reservation_create(
                user=user, showtime_id=showtime.pk, seat_ids=[free[len(free) // 2]]
            ).reservation
            if reservation.status == ReservationStatus.HELD:  # PAYMENT_REQUIRED
                pay_demo_sale(reservation_id=reservation.pk)
            return True
    return False


def demo_ticket_lines(*, base_url: str = "http://127.0.0.1:8000") -> list[str]:
    """Make sure the demo customer holds a valid ticket for an upcoming showtime (booking
    one seat if not) and say where to see it. Nothing without the demo customer or an
    upcoming showtime with a free seat."""
    user = User.objects.filter(username=DEMO_CUSTOMER).first()
    if user is None:
        return []
    now = timezone.now()
    ticket = _upcoming_ticket(user, now)
    if ticket is None and _book_a_seat(user, now):
        ticket = _upcoming_ticket(user, now)
    if ticket is None:
        return []
    showtime = ticket.showtime
    start = timezone.localtime(showtime.start_time).strftime("%a %d %b %H:%M")
    return [
        f"Demo ticket {ticket.display_code}: seat {ticket.seat.label}, "
        f"{showtime.movie.title}, {showtime.hall.name}, {start} "
        f"(reservation {ticket.reservation_id} of '{DEMO_CUSTOMER}')",
        f"  in the admin (as admin): {base_url}/admin/tickets/ticket/{ticket.pk}/change/",
        f"  the customer's tickets: GET {base_url}/api/reservations/{ticket.reservation_id}/tickets/",
        f"  its QR code: GET {base_url}/api/tickets/{ticket.code}/qr.svg",
        f"  at the door (as admin): POST {base_url}/api/check-ins/ "
        f'{{"code": "{ticket.display_code}"}}',
        "  its confirmation email is printed by the email worker (send_emails) below.",
    ]

"""Every seat of a CONFIRMED reservation has a ticket: issue them for the reservations
confirmed before tickets existed. No email goes out for them."""

from django.db import migrations
from django.utils import timezone

from tickets.codes import new_code

BATCH = 1000


def issue_missing_tickets(apps, schema_editor):
    Reservation = apps.get_model("bookings", "Reservation")
    ReservationSeat = apps.get_model("bookings", "ReservationSeat")
    Ticket = apps.get_model("tickets", "Ticket")
    now = timezone.now()
    claims = (
        ReservationSeat.objects.filter(
            active=True,
            hold_expires_at__isnull=True,
            reservation__status="CONFIRMED",
        )
        .exclude(reservation__in=Reservation.objects.filter(tickets__isnull=False))
        .order_by("pk")
        .values_list("reservation_id", "showtime_id", "seat_id")
    )
    batch = []
    for reservation_id, showtime_id, seat_id in claims.iterator(chunk_size=BATCH):
        batch.append(
            Ticket(
                code=new_code(),
                reservation_id=reservation_id,
                showtime_id=showtime_id,
                seat_id=seat_id,
                issued_at=now,
            )
        )
        if len(batch) >= BATCH:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("bookings", "0004_showtime_counters"),
    ]

    operations = [
        migrations.RunPython(issue_missing_tickets, migrations.RunPython.noop, elidable=True),
    ]

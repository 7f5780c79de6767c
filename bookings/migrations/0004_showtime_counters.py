"""Per-showtime counters of sold and held seats (ShowtimeCounters), filled from the
claims that exist."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Min, Q


def fill_counters(apps, schema_editor):
    """One row per showtime that has active claims: booked ones (no hold expiry) are
    sold, the others held (lapsed or not), with the earliest hold expiry."""
    ReservationSeat = apps.get_model("bookings", "ReservationSeat")
    ShowtimeCounters = apps.get_model("bookings", "ShowtimeCounters")
    db = schema_editor.connection.alias
    rows = (
        ReservationSeat.objects.using(db)
        .filter(active=True)
        .order_by()
        .values("showtime_id")
        .annotate(
            sold=Count("pk", filter=Q(hold_expires_at__isnull=True)),
            held=Count("pk", filter=Q(hold_expires_at__isnull=False)),
            holds_lapse_at=Min("hold_expires_at"),
        )
    )
    ShowtimeCounters.objects.using(db).bulk_create(
        [ShowtimeCounters(**row) for row in rows], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0003_idempotencykey_key_hash"),
        ("cinema", "0003_movie_release_date_bounds"),
    ]

    operations = [
        migrations.CreateModel(
            name="ShowtimeCounters",
            fields=[
                (
                    "showtime",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="counters",
                        serialize=False,
                        to="cinema.showtime",
                    ),
                ),
                ("sold", models.PositiveIntegerField(default=0)),
                ("held", models.PositiveIntegerField(default=0)),
                ("holds_lapse_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "showtime counters",
            },
        ),
        migrations.RunPython(fill_counters, migrations.RunPython.noop, elidable=True),
    ]

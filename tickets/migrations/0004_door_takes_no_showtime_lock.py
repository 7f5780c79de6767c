"""The door waits for no booking: drop the (showtime, status) index, which InnoDB used as
the showtime foreign key's index, so a check-in's change of status re-checked the key and
waited for the showtime's row lock (docs/tickets.md). On MySQL/MariaDB Django first puts
back the plain index the foreign key needs; elsewhere the FK's own index is already there.
Adding or dropping an index changes no column: nodes on the previous release are unaffected."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_staff_permissions"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="ticket",
            name="tickets_ticket_show_status_idx",
        ),
    ]

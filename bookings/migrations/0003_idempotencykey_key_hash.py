"""Idempotency keys are compared byte for byte: by a SHA-256 of the key as sent.

Under MariaDB's utf8mb4_unicode_ci the old unique key (user, key) treated "Order-7f3a"
and "order-7F3A", "clé" and "cle", "cle" and "cle " as one key, so a different booking
got 422 or replayed someone else's reservation.
"""

import hashlib

from django.db import migrations, models


def fill_key_hash(apps, schema_editor):
    IdempotencyKey = apps.get_model("bookings", "IdempotencyKey")
    for row in IdempotencyKey.objects.only("pk", "key").iterator():
        digest = hashlib.sha256(row.key.encode("utf-8", "surrogatepass")).hexdigest()
        IdempotencyKey.objects.filter(pk=row.pk).update(key_hash=digest)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="key_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(fill_key_hash, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="idempotencykey",
            name="key_hash",
            field=models.CharField(max_length=64),
        ),
        # The new unique index first: on MySQL it then carries the user foreign key.
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.UniqueConstraint(
                fields=("user", "key_hash"), name="bookings_idempotencykey_unique_user_key_hash"
            ),
        ),
        migrations.RemoveConstraint(
            model_name="idempotencykey",
            name="bookings_idempotencykey_unique_user_key",
        ),
    ]

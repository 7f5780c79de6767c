"""Usernames that differ only by case, accents or compatibility forms are one account.

Adds ``username_fold`` (users.models.fold_username of the username), fills it, then
makes it unique. On MariaDB the utf8mb4_unicode_ci index on ``username`` already kept
such names apart; a SQLite database holding two of them stops here with an
IntegrityError naming the column: rename one account first.
"""

from django.db import migrations, models


def fill_username_fold(apps, schema_editor):
    from users.models import fold_username

    User = apps.get_model("users", "User")
    for user in User.objects.only("pk", "username").iterator():
        User.objects.filter(pk=user.pk).update(username_fold=fold_username(user.username))


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_fold",
            field=models.CharField(editable=False, max_length=150, null=True),
        ),
        migrations.RunPython(fill_username_fold, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="username_fold",
            field=models.CharField(editable=False, max_length=150, unique=True),
        ),
    ]

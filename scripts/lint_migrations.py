"""CI's migration linter: every migration of ours keeps the previous release's code
working against the new schema (expand/contract: deploy/README.md, "Releasing").

django-migration-linter reads the SQL each migration writes for MariaDB (the production
engine) and refuses what breaks running code: a column dropped or renamed, a NOT NULL
column added without a database default, a unique constraint added on existing data, a
table renamed. Django's sqlmigrate on MySQL reads the live tables for some operations,
so the script migrates a scratch database of its own first, lints, and drops it.

    DATABASE_URL=mysql://root@127.0.0.1:3306/anything python scripts/lint_migrations.py

Only the host and credentials of DATABASE_URL are used. Exits 1 on any error.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Our apps (third-party migrations are their authors' business).
APPS = ["users", "cinema", "bookings", "notifications", "audit", "tickets", "payments", "boxoffice"]

# Migrations that shipped before the rule, in releases every node has long run: they
# cannot be changed any more (they are applied everywhere), only never repeated. Each
# added a NOT NULL column without a database default and a unique key on it, which the
# release before them could not insert rows into (sign-ups; idempotent bookings).
HISTORY = ["0002_username_fold_unique", "0003_idempotencykey_key_hash"]


def scratch_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/marquee_migration_lint_{os.getpid()}"))


def main() -> int:
    base = os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306/marquee")
    if not base.startswith("mysql"):
        print("lint_migrations: DATABASE_URL must name a MariaDB/MySQL server", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = scratch_url(base)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import logging

    import django
    from django.core.management import call_command

    # The linter says each sqlmigrate call at INFO; its verdicts are printed, not logged.
    logging.getLogger("django_migration_linter").setLevel(logging.WARNING)
    from django.db import connection

    django.setup()
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        call_command("migrate", verbosity=0)
        from django_migration_linter import MigrationLinter

        linter = MigrationLinter(
            str(ROOT),
            include_apps=APPS,
            ignore_name=HISTORY,
            # Creating tables never breaks the code before them.
            ignore_initial_migrations=True,
            no_cache=True,
            quiet=["ok", "ignore"],
        )
        linter.lint_all_migrations()
        linter.print_summary()
        return 1 if linter.has_errors else 0
    finally:
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    sys.exit(main())

"""Create the MySQL/MariaDB database named in DATABASE_URL if it does not exist (utf8mb4).

    DATABASE_URL=mysql://root@127.0.0.1:3306/marquee_bench python bench/ensure_database.py

Does nothing for SQLite URLs. Used by `make serve` and `make bench`.
"""

import os
import re
import sys

import dj_database_url


def ensure_database(url: str) -> str | None:
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.mysql":
        return None
    name = config["NAME"]
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing to create a database with the name {name!r}")
    import MySQLdb

    connection = MySQLdb.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=int(config.get("PORT") or 3306),
        user=config.get("USER") or "root",
        password=config.get("PASSWORD") or "",
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{name}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    finally:
        connection.close()
    return name


if __name__ == "__main__":
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("DATABASE_URL is not set")
    created = ensure_database(url)
    if created:
        print(f"database {created}: ready (utf8mb4)")

"""The previous release's code on this release's schema: what a rolling release does for a
few minutes (deploy/README.md, "Releasing"). This release's migrations run first; the
nodes still on the previous release must keep serving the hot paths on the new schema
until they are restarted.

1. a scratch MariaDB database, migrated by this release, with the demo cinema and a
   counter sale to a walk-in (a row the previous release never wrote: no customer
   account);
2. the previous release (its commit in deploy/PREVIOUS_RELEASE, from this repository's
   history) served by gunicorn from a work tree of its own on that database;
3. its hot paths, as clients call them: sign-up, login, the catalogue, the schedule, a
   seat map, a booking with an Idempotency-Key and its replay, a hold confirmed, a
   cancel, the customer's list, and staff reading every reservation (the walk-in's too).

Any 5xx, or an answer other than the one the previous release gives on its own schema,
fails. Exits 1 on a failure, 2 when it cannot run (no MariaDB, the commit not in the
history: a shallow clone).

    DATABASE_URL=mysql://root@127.0.0.1:3306/anything python scripts/release_compat.py
"""

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))


def scratch_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/marquee_release_compat_{os.getpid()}"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, *, cwd, env):
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_schema(env: dict) -> None:
    """This release: the schema, the demo cinema, a walk-in's counter sale."""
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env)
    run(
        [PYTHON, "manage.py", "seed_demo", "--force", "--days-back", "0", "--days-ahead", "1"],
        cwd=ROOT,
        env=env,
    )
    script = (
        "from decimal import Decimal\n"
        "from django.utils import timezone\n"
        "from bookings.models import ReservationSeat\n"
        "from boxoffice.services import counter_sale_create\n"
        "from cinema.models import Showtime\n"
        "from payments.shift_services import shift_open\n"
        "from users.models import User\n"
        "cashier = User.objects.get(username='cashier')\n"
        "shift_open(cashier=cashier, opening_float=Decimal('100.00'))\n"
        "show = Showtime.objects.filter(start_time__gt=timezone.now()).order_by('start_time')[1]\n"
        "claimed = ReservationSeat.objects.filter(showtime=show, active=True).values('seat')\n"
        # The demo's own sales depend on the hour it is seeded at: take a seat it left free.
        "seat = show.hall.seats.exclude(pk__in=claimed).order_by('-position').first()\n"
        "counter_sale_create(cashier=cashier, showtime_id=show.pk,"
        " seat_ids=[seat.pk], method='cash', customer_name='Walk In')\n"
    )
    run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=env)


@contextlib.contextmanager
def previous_release(commit: str, env: dict):
    """The previous release's tree, served by gunicorn on a free port: its base URL."""
    with tempfile.TemporaryDirectory(prefix="marquee-previous-") as tree:
        archive = subprocess.run(
            ["git", "archive", commit], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        port = free_port()
        log = open(Path(tree) / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [GUNICORN, "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"],
            cwd=tree,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(f"{base}/api/health/", timeout=2).status_code == 200:
                        break
                time.sleep(0.2)
            else:
                raise SystemExit("the previous release did not start:\n" + read(log.name))
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(10)
            log.close()
            if os.environ.get("RELEASE_COMPAT_VERBOSE"):
                print(read(log.name))


def read(path) -> str:
    return Path(path).read_text(errors="replace")


class Checks:
    def __init__(self, base: str):
        self.base = base
        self.failures: list[str] = []

    def call(self, what, method, path, expected, *, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.request(method, self.base + path, headers=headers, timeout=10, **kwargs)
        ok = response.status_code == expected
        print(f"    {'ok  ' if ok else 'FAIL'} {what}: {response.status_code}")
        if not ok:
            self.failures.append(f"{what}: {response.status_code} {response.text[:300]}")
        return response


def hot_paths(checks: Checks) -> None:
    name = f"compat{uuid.uuid4().hex[:8]}"
    password = "Correct-Horse-42"
    checks.call(
        "sign-up",
        "POST",
        "/api/auth/register/",
        201,
        json={"username": name, "email": f"{name}@example.com", "password": password},
    )
    token = checks.call(
        "login", "POST", "/api/auth/login/", 200, json={"username": name, "password": password}
    ).json()["access"]
    checks.call("movies", "GET", "/api/movies/", 200)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    shows = checks.call("schedule", "GET", f"/api/showtimes/?date={tomorrow}", 200).json()
    show = shows["results"][0]["id"]
    seats = checks.call("seat map", "GET", f"/api/showtimes/{show}/seats/", 200).json()
    free = [seat["id"] for seat in seats["seats"] if seat["status"] == "available"]
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"showtime": show, "seats": free[:2]}
    first = checks.call(
        "booking", "POST", "/api/reservations/", 201, token=token, json=body, headers=dict(key)
    )
    again = checks.call(
        "its replay", "POST", "/api/reservations/", 201, token=token, json=body, headers=dict(key)
    )
    if first.ok and again.ok and first.json()["id"] != again.json()["id"]:
        checks.failures.append("the replay booked again")
    hold = checks.call(
        "hold",
        "POST",
        "/api/reservations/",
        201,
        token=token,
        json={"showtime": show, "seats": free[2:3], "hold": True},
    ).json()
    checks.call("confirm", "POST", f"/api/reservations/{hold['id']}/confirm/", 200, token=token)
    checks.call("cancel", "DELETE", f"/api/reservations/{first.json()['id']}/", 200, token=token)
    checks.call("my reservations", "GET", "/api/reservations/", 200, token=token)
    staff = checks.call(
        "staff login",
        "POST",
        "/api/auth/login/",
        200,
        json={"username": "admin", "password": "marquee-admin-dev"},
    ).json()["access"]
    listed = checks.call(
        "every reservation (staff)", "GET", "/api/reservations/?page_size=100", 200, token=staff
    )
    walk_ins = [r for r in listed.json()["results"] if r["user"] is None] if listed.ok else []
    if listed.ok and not walk_ins:
        checks.failures.append("the walk-in's counter sale is missing from the staff list")
    for walk_in in walk_ins[:1]:
        checks.call(
            "a walk-in's reservation (staff)",
            "GET",
            f"/api/reservations/{walk_in['id']}/",
            200,
            token=staff,
        )
    checks.call("the reports (staff)", "GET", "/api/admin/stats/", 200, token=staff)


def main() -> int:
    base_url = os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306/marquee")
    if not base_url.startswith("mysql"):
        print("release_compat: DATABASE_URL must name a MariaDB/MySQL server", file=sys.stderr)
        return 2
    commit = (ROOT / "deploy" / "PREVIOUS_RELEASE").read_text().strip()
    if subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT).returncode:
        print(f"release_compat: {commit} is not in this clone's history", file=sys.stderr)
        return 2
    url = scratch_url(base_url)
    name = urlsplit(url).path.lstrip("/")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "1",
        "PAYMENT_REQUIRED": "0",
        "REDIS_URL": "",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    mysql = ["mariadb", "--protocol=tcp", "-h127.0.0.1", "-uroot"]
    subprocess.run([*mysql, "-e", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"], check=True)
    try:
        prepare_schema(env)
        print(f"the previous release ({commit[:10]}) on this release's schema:")
        with previous_release(commit, env) as base:
            checks = Checks(base)
            try:
                hot_paths(checks)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                # An answer without what the next step needs: the failure above says why.
                checks.failures.append(f"could not go on: {exc!r}")
    finally:
        subprocess.run([*mysql, "-e", f"DROP DATABASE IF EXISTS `{name}`"], check=True)
    if checks.failures:
        print("release_compat: the previous release breaks on this schema:", file=sys.stderr)
        for failure in checks.failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("release_compat: the previous release serves its hot paths on this schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())

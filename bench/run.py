"""Marquee's benchmark: `make bench` (or `.venv/bin/python bench/run.py --help`).

Starts the production server (gunicorn, DEBUG=0) on the local MariaDB (database
``marquee_bench``, created if missing) and Redis, seeds its own data, drives it with wrk
(-t1 -c8 by default) and reports requests/s, p50/p99 latency and status codes for each
scenario, every figure also as a ratio to the ceiling view measured in the same pass.
Two passes: the issue's baseline (2 sync workers), then the recommended production
worker settings. Results: bench/results/<UTC date-time>.{md,json} and latest.{md,json}.

Safety: it only ever targets 127.0.0.1, bounds its own run time (--max-seconds), and
stops the gunicorn it started on every exit path (normal end, error, Ctrl-C, SIGTERM,
and - via PR_SET_PDEATHSIG - even when the driver itself is killed).
"""

import argparse
import contextlib
import ctypes
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
HOST = "127.0.0.1"  # the bench never targets anything else

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/marquee_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"

# What the server runs with; the bench's own settings win over the caller's environment
# only where they must (database, debug, URL module, token lifetime, plain HTTP).
SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
    "ROOT_URLCONF": "bench.urls",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_PROXY_SSL_HEADER": "0",
    "ALLOWED_HOSTS": HOST,
    # Tokens are signed once at seeding; they must outlive the run.
    "JWT_ACCESS_MINUTES": "600",
}


class BenchTimeout(Exception):
    pass


# --- the server ----------------------------------------------------------------------


def _die_with_parent():
    """Runs in the child before exec: SIGTERM the server if the driver dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class Server:
    def __init__(self, *, port: int, workers: int, threads: int, env: dict, log: Path):
        self.port, self.workers, self.threads = port, workers, threads
        self.env, self.log_path = env, log
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30) -> None:
        env = {
            **self.env,
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_THREADS": str(self.threads),
            "GUNICORN_BIND": f"{HOST}:{self.port}",
        }
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self.log_path}")
            with contextlib.suppress(OSError):
                if http_status(f"{self.base}/api/health/") == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /api/health/ in {timeout}s")

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.log.close()


def http_status(url: str, *, method: str = "GET", body: bytes | None = None, token=None) -> int:
    assert url.startswith(f"http://{HOST}:"), url
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - fixed host
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- wrk -----------------------------------------------------------------------------


def wrk(url: str, script: str, args: list[str], *, seconds: int, opts) -> dict:
    assert url.startswith(f"http://{HOST}:"), url
    command = [
        "wrk",
        f"-t{opts.threads}",
        f"-c{opts.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        url,
        "--",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line.removeprefix("BENCH_JSON "))
            result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
            return result
    raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")


def summarise(raw: dict) -> dict:
    seconds = raw["duration_us"] / 1e6
    statuses = raw["statuses"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "statuses": statuses,
        "5xx": sum(n for status, n in statuses.items() if status >= 500),
        "socket_errors": {k: v for k, v in raw["errors"].items() if k != "status" and v},
    }


# --- scenarios -----------------------------------------------------------------------


def scenarios(data: dict) -> list[dict]:
    tokens, bookings, hot = (
        str(WORK / "tokens.txt"),
        str(WORK / "bookings.txt"),
        str(WORK / "hot.txt"),
    )
    spread = str(WORK / "spread.txt")
    return [
        {"name": "ceiling", "path": "/bench/ceiling/", "script": "get.lua", "args": []},
        {"name": "health (1 query)", "path": "/api/health/", "script": "get.lua", "args": []},
        {
            "name": "users/me (JWT + 1 query)",
            "path": "/api/users/me/",
            "script": "get.lua",
            "args": [tokens],
        },
        {"name": "movie list", "path": "/api/movies/", "script": "get.lua", "args": []},
        {
            "name": "showtime list",
            "path": f"/api/showtimes/?date={data['first_day']}",
            "script": "get.lua",
            "args": [],
        },
        {
            "name": "seat map (300 seats, half sold)",
            "path": f"/api/showtimes/{data['seat_map_showtime']}/seats/",
            "script": "get.lua",
            "args": [],
        },
        {
            "name": "seat map polled (If-None-Match: 304)",
            "path": f"/api/showtimes/{data['seat_map_showtime']}/seats/",
            "script": "poll.lua",
            "args": [],
        },
        {
            "name": "book distinct seats",
            "path": "/api/reservations/",
            "script": "book_distinct.lua",
            "args": [tokens, bookings],
            "kind": "bookings",
            "showtimes": data["booking_showtimes"],
            "lines": data["booking_lines_count"],
        },
        {
            "name": "book distinct seats, 20 showtimes",
            "path": "/api/reservations/",
            "script": "book_distinct.lua",
            "args": [tokens, spread],
            "kind": "bookings",
            "showtimes": data["spread_showtimes"],
            "lines": data["spread_lines_count"],
        },
        {
            "name": "hot show (8 seats, everyone)",
            "path": "/api/reservations/",
            "script": "hot_show.lua",
            "args": [tokens, hot, "42"],
            "kind": "hot",
        },
        # Measured again at the end: the machine's load drifts (it is shared), so the
        # ratios use the mean of both ceiling measurements.
        {"name": "ceiling (again)", "path": "/bench/ceiling/", "script": "get.lua", "args": []},
    ]


def available(server: Server, scenario: dict, token: str) -> bool:
    url = server.base + scenario["path"]
    if scenario.get("kind"):
        # An empty booking is a 400 where the endpoint exists; it books nothing.
        status = http_status(url, method="POST", body=b"{}", token=token)
        return status not in (404, 405)
    return http_status(url) not in (404, 405)


# --- CPU per request: what a request costs the app and the database, which a shared
# machine's load disturbs far less than throughput (docs/performance.md).
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / _TICK


def _app_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    with contextlib.suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


def _mariadbd_pids() -> list[int]:
    """The server on 127.0.0.1:3306 (other MariaDB instances may be running)."""
    out = subprocess.run(
        ["ss", "-Hltnp", "sport = :3306"], capture_output=True, text=True, check=False
    ).stdout
    return [int(pid) for pid in re.findall(r"pid=(\d+)", out)][:1]


@contextlib.contextmanager
def cpu_meter(opts):
    """Yields a dict filled, on exit, with the CPU seconds the app's workers and mariadbd
    spent inside the block."""
    app = _app_pids(opts.server_pid) if getattr(opts, "server_pid", None) else []
    db = _mariadbd_pids()
    app0, db0 = _cpu_seconds(app), _cpu_seconds(db)
    spent: dict = {}
    yield spent
    spent["app"], spent["db"] = _cpu_seconds(app) - app0, _cpu_seconds(db) - db0


def _per_request(row: dict, spent: dict, requests: int) -> None:
    if requests and spent:
        row["app_cpu_us"] = spent["app"] / requests * 1e6
        row["db_cpu_us"] = spent["db"] / requests * 1e6


def _measure_bookings(url: str, scenario: dict, opts) -> dict:
    from django.db import connections

    from bench import seed as bench_seed

    args = list(scenario["args"])
    warm = wrk(url, scenario["script"], [*args, "0"], seconds=opts.warmup, opts=opts)
    # Skip past every line the warm-up may have used (in flight ones too).
    offset = warm["requests"] + 10 * opts.connections
    before = bench_seed.claims_on(scenario["showtimes"])
    connections.close_all()
    with cpu_meter(opts) as spent:
        raw = wrk(url, scenario["script"], [*args, str(offset)], seconds=opts.duration, opts=opts)
    booked = bench_seed.claims_on(scenario["showtimes"]) - before
    connections.close_all()
    row = summarise(raw)
    _per_request(row, spent, raw["requests"])
    row["booked_seats"] = booked
    row["bookings_per_s"] = booked / row["seconds"]
    row["rate"] = row["bookings_per_s"]
    row["unused_seats_left"] = scenario["lines"] - offset - raw["requests"]
    return row


def _measure_hot(url: str, scenario: dict, data: dict, opts) -> dict:
    from django.db import connections

    from bench import seed as bench_seed

    # No warm-up: it would sell the hot seats before the measurement.
    raw = wrk(url, scenario["script"], list(scenario["args"]), seconds=opts.duration, opts=opts)
    row = summarise(raw)
    row["rate"] = row["rps"]
    row["conflict_share"] = raw["statuses"].get(409, 0) / max(raw["requests"], 1)
    row["invariants"] = bench_seed.hot_show_invariants(data["hot_showtime"])
    connections.close_all()
    return row


def measure(url: str, scenario: dict, data: dict, opts) -> dict:
    """One scenario's figures: bookings counted in the database, the hot show with its
    invariants, anything else as wrk's requests/s after a warm-up."""
    kind = scenario.get("kind")
    if kind == "bookings":
        return _measure_bookings(url, scenario, opts)
    if kind == "hot":
        return _measure_hot(url, scenario, data, opts)
    args = list(scenario["args"])
    wrk(url, scenario["script"], args, seconds=opts.warmup, opts=opts)
    with cpu_meter(opts) as spent:
        raw = wrk(url, scenario["script"], args, seconds=opts.duration, opts=opts)
    row = summarise(raw)
    _per_request(row, spent, raw["requests"])
    row["rate"] = row["rps"]
    return row


def run_pass(name: str, *, workers: int, threads: int, opts, env: dict) -> dict:
    from django.db import connections

    from bench import seed as bench_seed

    data = bench_seed.seed(WORK, customers=opts.customers, booking_showtimes=opts.booking_showtimes)
    connections.close_all()
    token = (WORK / "tokens.txt").read_text().split()[0]
    server = Server(
        port=opts.port,
        workers=workers,
        threads=threads,
        env=env,
        log=WORK / f"gunicorn-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.log",
    )
    results, ceiling = [], None
    load_before = os.getloadavg()
    print(f"\n== {name}: {workers} worker(s) x {threads} thread(s)", flush=True)
    try:
        server.start()
        opts.server_pid = server.process.pid
        for scenario in scenarios(data):
            if opts.only and not any(o in scenario["name"] for o in opts.only):
                continue
            url = server.base + scenario["path"]
            row = {"scenario": scenario["name"], "path": scenario["path"]}
            if not available(server, scenario, token):
                row["skipped"] = "endpoint not available (404/405)"
                results.append(row)
                print(f"  {scenario['name']:<34} skipped: endpoint not available", flush=True)
                continue
            row.update(measure(url, scenario, data, opts))
            if scenario["name"] == "ceiling":
                ceiling = row["rate"]
            row["ratio"] = row["rate"] / ceiling if ceiling else None
            results.append(row)
            print("  " + console_line(row), flush=True)
    finally:
        server.stop()
    ceilings = [r["rate"] for r in results if r["scenario"].startswith("ceiling") and "rate" in r]
    if ceilings:
        ceiling = sum(ceilings) / len(ceilings)
        for row in results:
            if "rate" in row:
                row["ratio"] = row["rate"] / ceiling
    return {
        "name": name,
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "ceiling_rps": ceiling,
        "ceiling_measurements": ceilings,
        "load_average_before": [round(x, 2) for x in load_before],
        "data": {k: v for k, v in data.items() if k not in ("seat_ids", "hot_seats")},
        "results": results,
        "total_5xx": sum(r.get("5xx", 0) for r in results),
    }


# --- reporting -----------------------------------------------------------------------


def console_line(row: dict) -> str:
    text = (
        f"{row['scenario']:<34} {row['rate']:>8.1f}/s  ratio {row['ratio'] or 0:.3f}  "
        f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms  {statuses_text(row)}"
        + (
            f"  CPU/request: app {row['app_cpu_us']:.0f} µs, db {row['db_cpu_us']:.0f} µs"
            if "app_cpu_us" in row
            else ""
        )
    )
    if "booked_seats" in row:
        text += f"  booked {row['booked_seats']} seats (database)"
    if "invariants" in row:
        inv = row["invariants"]
        text += (
            f"  409 share {row['conflict_share']:.1%}  invariants {'OK' if inv['ok'] else 'BROKEN'}"
        )
    return text


def statuses_text(row: dict) -> str:
    text = " ".join(f"{status}:{n}" for status, n in sorted(row["statuses"].items()))
    if row.get("socket_errors"):
        text += " socket errors " + json.dumps(row["socket_errors"])
    return text


def versions() -> dict:
    from django.db import connection

    found = {"python": platform.python_version()}
    for dist in (
        "Django",
        "djangorestframework",
        "djangorestframework-simplejwt",
        "gunicorn",
        "mysqlclient",
        "redis",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    with connection.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        found["mariadb"] = cursor.fetchone()[0]
    connection.close()
    with contextlib.suppress(Exception):
        import redis

        found["redis-server"] = redis.Redis.from_url(os.environ["REDIS_URL"]).info("server")[
            "redis_version"
        ]
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    found["wrk"] = (wrk_v.stdout or wrk_v.stderr).split("\n")[0].split(" Copyright")[0].strip()
    return found


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release()}


def _us(row: dict, key: str) -> str:
    return f"{row[key]:.0f}" if key in row else "-"


def markdown(report: dict) -> str:
    out = [
        f"# Marquee benchmark, {report['date']}",
        "",
        f"Machine: {report['machine']['cores']} cores ({report['machine']['cpu']}), "
        f"kernel {report['machine']['kernel']}. MariaDB and Redis on the same machine.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()) + ".",
        f"Method: wrk -t{report['method']['wrk_threads']} -c{report['method']['connections']}, "
        f"{report['method']['warmup_s']} s warm-up + {report['method']['duration_s']} s per "
        "scenario, gunicorn with DEBUG=0, CONN_MAX_AGE="
        f"{report['method']['conn_max_age']}, request logs on. Ratio = the scenario's rate "
        "/ the ceiling's requests/s in the same pass (mean of a measurement at its start and its end). Bookings count seats booked in the "
        "database, not wrk's responses.",
        "",
    ]
    for run in report["passes"]:
        out += [
            f"## {run['name']}: {run['workers']} {run['worker_class']} worker(s)"
            + (f" x {run['threads']} threads" if run["threads"] > 1 else ""),
            "",
            f"Load average before the pass: {run['load_average_before']}. Ceiling: "
            + " and ".join(f"{c:.0f}" for c in run["ceiling_measurements"])
            + f" requests/s at the start and the end; ratios use their mean, {run['ceiling_rps']:.0f}.",
            "",
            "| scenario | rate /s | ratio to ceiling | p50 ms | p99 ms | responses | 5xx "
            "| app CPU µs/request | db CPU µs/request |",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
        ]
        notes = []
        for row in run["results"]:
            if "skipped" in row:
                out.append(f"| {row['scenario']} | - | - | - | - | {row['skipped']} | - | - | - |")
                continue
            out.append(
                f"| {row['scenario']} | {row['rate']:.1f} | {row['ratio']:.3f} | "
                f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {statuses_text(row)} | {row['5xx']} | "
                f"{_us(row, 'app_cpu_us')} | {_us(row, 'db_cpu_us')} |"
            )
            if "booked_seats" in row:
                spread = "showtimes" in row["scenario"]
                notes.append(
                    f"- {row['scenario']}: {row['booked_seats']} seats booked in "
                    f"{row['seconds']} s according to the database ({row['requests']} requests "
                    "sent); "
                    + (
                        "consecutive requests go to different showtimes, so they rarely "
                        "wait for the same showtime lock."
                        if spread
                        else "the requests walk one showtime at a time, so this is the "
                        "booking rate of a single showtime (its lock serialises them)."
                    )
                )
            if "invariants" in row:
                inv = row["invariants"]
                notes.append(
                    f"- Hot show: {row['rps']:.1f} requests/s, {row['conflict_share']:.1%} "
                    f"answered 409; {inv['live_reservations']} live reservations holding "
                    f"{inv['live_claims']} live claims = {inv['seats_of_live_reservations']} "
                    f"seats of CONFIRMED/HELD reservations; seats claimed twice: "
                    f"{len(inv['double_claims'])}; live claims of dead reservations: "
                    f"{inv['claims_of_dead_reservations']}; counters agree with a recount: "
                    f"{'yes' if inv['counters_agree'] else 'NO'}. Invariants "
                    f"{'hold' if inv['ok'] else 'BROKEN'}."
                )
        notes.append(f"- 5xx responses in this pass: {run['total_5xx']}.")
        out += ["", *notes, ""]
    return "\n".join(out)


# --- main ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c (8)")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t (1)")
    parser.add_argument("--workers", type=int, default=2, help="baseline sync workers (2)")
    parser.add_argument(
        "--prod-workers", type=int, default=5, help="recommended workers (5 = 2 x cores + 1)"
    )
    parser.add_argument(
        "--prod-threads", type=int, default=8, help="recommended threads (8, gthread)"
    )
    parser.add_argument("--skip-prod", action="store_true", help="baseline pass only")
    parser.add_argument("--only", action="append", help="run scenarios containing this text")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--booking-showtimes", type=int, default=40)
    parser.add_argument("--max-seconds", type=int, default=900, help="hard limit (900)")
    parser.add_argument("--label", default="", help="added to the result file names")
    return parser.parse_args(argv)


def prepare(opts) -> dict:
    """Point this process at the bench database, migrate it and set Django up; return
    the environment the server runs with."""
    env = {
        **os.environ,
        **SERVER_ENV,
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from bench.ensure_database import ensure_database

    ensure_database(env["DATABASE_URL"])
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    import django

    django.setup()
    return env


def main(argv=None) -> int:
    opts = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")

    def on_alarm(signum, frame):
        raise BenchTimeout(f"the bench exceeded --max-seconds={opts.max_seconds}")

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGALRM, on_alarm)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    signal.alarm(opts.max_seconds)

    env = prepare(opts)
    from django.conf import settings

    WORK.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    report = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(),
        "method": {
            "wrk_threads": opts.threads,
            "connections": opts.connections,
            "duration_s": opts.duration,
            "warmup_s": opts.warmup,
            "conn_max_age": settings.CONN_MAX_AGE,
            "database": settings.DATABASES["default"]["NAME"],
        },
        "passes": [],
    }
    passes = [("Baseline", opts.workers, 1)]
    if not opts.skip_prod:
        passes.append(("Recommended production settings", opts.prod_workers, opts.prod_threads))
    try:
        for name, workers, threads in passes:
            report["passes"].append(
                run_pass(name, workers=workers, threads=threads, opts=opts, env=env)
            )
    finally:
        signal.alarm(0)
    text = markdown(report)
    RESULTS.mkdir(exist_ok=True)
    stem = started.strftime("%Y%m%d-%H%M%S") + (f"-{opts.label}" if opts.label else "")
    for target in (stem, "latest"):
        (RESULTS / f"{target}.md").write_text(text + "\n")
        (RESULTS / f"{target}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print("\n" + text)
    print(f"\nwritten: bench/results/{stem}.md and .json (and latest.md/.json)")
    broken = [
        row
        for run in report["passes"]
        for row in run["results"]
        if row.get("5xx") or not row.get("invariants", {"ok": True})["ok"]
    ]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

"""Profile one bench scenario on the production server with py-spy.

    .venv/bin/pip install py-spy      # a tool for the machine, not a project dependency
    .venv/bin/python bench/profile.py "seat map"        # or "book distinct", "movie list"

Seeds the bench data, starts gunicorn with ONE sync worker (so one process holds every
sample), loads it with wrk as bench/run.py does, records the worker with py-spy for
--seconds and prints where the time goes: inclusive and self time per function, and a
coarse split (database driver, ORM, DRF, JWT, Django's handler and middleware, app
code). The raw collapsed stacks stay in bench/.work/ for a flame graph
(https://www.speedscope.app accepts them).
"""

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402

BUCKETS = [
    ("database driver (MySQLdb, network wait)", ("MySQLdb/",)),
    ("ORM: SQL compile + model/row building", ("django/db/",)),
    ("JWT authentication", ("rest_framework_simplejwt/", "jwt/")),
    ("DRF (views, serializers, renderers)", ("rest_framework/",)),
    ("Django handler, middleware, urls", ("django/",)),
    (
        "app code (cinema, bookings, users, config)",
        ("/cinema/", "/bookings/", "/users/", "/config/"),
    ),
    ("gunicorn", ("gunicorn/",)),
]


def frame_file(frame: str) -> str:
    match = re.search(r"\((.*):\d+\)$", frame)
    return match.group(1) if match else ""


def frame_name(frame: str) -> str:
    match = re.match(r"(.*) \((.*):\d+\)$", frame)
    if not match:
        return frame
    path = match.group(2)
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match.group(1)} ({path})"


def analyse(raw: Path, top: int) -> str:
    inclusive: collections.Counter = collections.Counter()
    self_time: collections.Counter = collections.Counter()
    buckets: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith("process ") and "Thread" not in f]
        total += n
        for name in {frame_name(f) for f in frames}:
            inclusive[name] += n
        if frames:
            self_time[frame_name(frames[-1])] += n
            leaf_file = frame_file(frames[-1])
            # The innermost frame decides the bucket, so the split adds up to 100 %.
            for label, markers in BUCKETS:
                if any(m in leaf_file for m in markers):
                    buckets[label] += n
                    break
            else:
                buckets["other (stdlib: json, decimal, datetime, ...)"] += n
    if not total:
        return "no samples"
    out = [f"{total} samples", "", "Where the time goes (by innermost frame):"]
    out += [f"  {100 * n / total:5.1f}%  {label}" for label, n in buckets.most_common()]
    out += ["", f"Top {top} inclusive:"]
    out += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    out += ["", f"Top {top} self:"]
    out += [f"  {100 * n / total:5.1f}%  {name}" for name, n in self_time.most_common(top)]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", help='part of a scenario name, e.g. "seat map"')
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    cli = parser.parse_args()
    spy = shutil.which("py-spy") or str(ROOT / ".venv/bin/py-spy")
    if not Path(spy).exists():
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    opts = bench_run.parse_args([])
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(bench_run.BenchTimeout()))
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    signal.alarm(300)
    env = bench_run.prepare(opts)
    from django.db import connections

    from bench import seed as bench_seed

    data = bench_seed.seed(bench_run.WORK, customers=opts.customers, booking_showtimes=10)
    connections.close_all()
    scenario = next(s for s in bench_run.scenarios(data) if cli.scenario in s["name"])
    server = bench_run.Server(
        port=opts.port, workers=1, threads=1, env=env, log=bench_run.WORK / "gunicorn-profile.log"
    )
    raw = bench_run.WORK / f"profile-{re.sub(r'[^a-z0-9]+', '-', scenario['name'])}.txt"
    try:
        server.start()
        worker = int(
            subprocess.run(
                ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=True
            ).stdout.split()[0]
        )
        args = list(scenario["args"])
        if scenario.get("kind") == "bookings":
            args.append("0")
        url = server.base + scenario["path"]
        load = subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{opts.connections}",
                f"-d{cli.seconds + 3}s",
                "-s",
                str(bench_run.LUA / scenario["script"]),
                url,
                "--",
                *args,
            ],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(1)
        subprocess.run(
            [
                spy,
                "record",
                "--pid",
                str(worker),
                "--duration",
                str(cli.seconds),
                "--rate",
                str(cli.rate),
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
            ],
            check=True,
            capture_output=True,
            timeout=cli.seconds + 30,
        )
        load.wait(timeout=30)
    finally:
        server.stop()
        signal.alarm(0)
    print(f"== {scenario['name']} ({scenario['path']}), 1 sync worker, wrk -c{opts.connections}")
    print(analyse(raw, cli.top))
    print(f"\nraw stacks: {raw.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())

"""The live seat map's figures (docs/performance.md): `.venv/bin/python bench/live.py`.

Starts the production topology (scripts/cluster: two gunicorn nodes, an ASGI stream
process beside each, Redis, MariaDB primary and replica), seeds it, then:

1. booking throughput on node 1 in alternating rounds without and with STREAMS open
   streams on node 1's stream process (the same-run ratio);
2. change-to-client latency across nodes: STREAMS streams on node 2's process, changes
   (a booking, then its cancel) made one at a time on node 1; p50/p99 over every
   client and change;
3. a storm of bookings and cancels in parallel on node 1, then every client's map (its
   snapshot with each event applied) compared with /seats/.

Every target is 127.0.0.1; the run is bounded (--max-seconds) and stops the cluster on
every exit path. Results: bench/results/live-<UTC date-time>.json.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cluster.checks import ClusterTest, call  # noqa: E402
from cluster.topology import HOST, Topology, log  # noqa: E402

RESULTS = ROOT / "bench" / "results"


class Client:
    """One stream: the map it mirrors and when each (seat, status) arrived."""

    def __init__(self, port: int, showtime: int, waiting: dict, number: int = 0):
        self.port, self.showtime, self.waiting, self.number = port, showtime, waiting, number
        self.statuses: dict[int, str] = {}
        self.etag = ""
        self.ready = asyncio.Event()
        self.error = ""

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port, limit=1 << 22)
            writer.write(
                f"GET /api/showtimes/{self.showtime}/seats/stream/ HTTP/1.0\r\n"
                f"Host: {HOST}\r\nAccept: text/event-stream\r\n"
                # Each client its own address for the throttles (as behind nginx, which
                # appends the client's): a thousand streams are a thousand people.
                f"X-Forwarded-For: 2001:db8::{self.number + 1:x}"
                "\r\n\r\n".encode()
            )
            await writer.drain()
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
            status = head.split(" ", 2)[1]
            if status != "200":
                body = (await reader.read(300)).decode(errors="replace")
                self.error = f"HTTP {status} {body}"
                return
            while True:
                try:
                    block = (await reader.readuntil(b"\n\n")).decode()
                except asyncio.IncompleteReadError:
                    self.error = "ended"
                    return
                fields = dict(
                    line.partition(": ")[::2]
                    for line in block.split("\n")
                    if line and not line.startswith(":")
                )
                if fields:
                    self._apply(fields.get("event"), json.loads(fields["data"]))
        except Exception as exc:  # counted and reported as stream errors
            self.error = repr(exc)
        finally:
            self.ready.set()

    def _apply(self, event: str, data: dict) -> None:
        if event == "snapshot":
            self.statuses = {s["id"]: s["status"] for s in data["map"]["seats"]}
            self.etag = data["etag"]
            self.ready.set()
        elif event == "seat":
            self.statuses[data["seat"]] = data["status"]
            self.etag = data["etag"]
            waiter = self.waiting.get((self.showtime, data["seat"], data["status"]))
            if waiter is not None:
                waiter[1].append(time.monotonic() - waiter[0])
        else:
            self.error = f"event {event}"


class RawStream:
    """A stream that only stores what arrives while a run lasts: parsing thousands of
    streams' events as they come would make the bench's own process, on the same two
    cores, the bottleneck it measures. ``catch_up()`` applies them to the map."""

    def __init__(self, port: int, showtime: int):
        self.port, self.showtime = port, showtime
        self.chunks: list[bytes] = []
        self.buffer = b""
        self.statuses: dict[int, str] = {}
        self.etag = ""
        self.error = ""
        self.task: asyncio.Task | None = None
        self.ready = asyncio.Event()  # the first bytes of the stream came, or it failed

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.port, limit=1 << 22)
            writer.write(
                f"GET /api/showtimes/{self.showtime}/seats/stream/ HTTP/1.0\r\n"
                f"Host: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode()
            )
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1].decode()
            if status != "200":
                body = (await reader.read(300)).decode(errors="replace")
                self.error = f"HTTP {status} {body}"
                return
            while chunk := await reader.read(1 << 16):
                self.chunks.append(chunk)
                self.ready.set()
            self.error = "ended"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # counted and reported as stream errors
            self.error = repr(exc)
        finally:
            self.ready.set()

    def catch_up(self) -> None:
        data, self.chunks = self.buffer + b"".join(self.chunks), []
        *blocks, self.buffer = data.split(b"\n\n")
        for block in blocks:
            fields = dict(
                line.partition(": ")[::2]
                for line in block.decode().split("\n")
                if line and not line.startswith(":")
            )
            if "data" not in fields:
                continue
            event = json.loads(fields["data"])
            if fields.get("event") == "snapshot":
                self.statuses = {seat["id"]: seat["status"] for seat in event["map"]["seats"]}
                self.etag = event["etag"]
            elif fields.get("event") == "seat":
                self.statuses[event["seat"]] = event["status"]
                self.etag = event["etag"]
            else:
                self.error = f"event {fields.get('event')}"


class Loop:
    """An asyncio loop in a thread holding the streams."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.waiting: dict = {}

    def open(self, port: int, showtimes: list[int], count: int, raw: bool = False) -> list:
        """``count`` streams over ``showtimes``, round robin: parsing clients, or
        ``RawStream``s (``raw``) that only keep what they receive."""

        async def start():
            loop = asyncio.get_running_loop()
            begun = loop.time()
            clients = [
                RawStream(port, showtimes[i % len(showtimes)])
                if raw
                else Client(port, showtimes[i % len(showtimes)], self.waiting, i)
                for i in range(count)
            ]
            for client in clients:
                client.task = asyncio.ensure_future(client.run())
            await asyncio.wait_for(asyncio.gather(*(c.ready.wait() for c in clients)), timeout=120)
            errors = [c.error for c in clients if c.error]
            log(
                f"{count} streams open in {loop.time() - begun:.1f} s; errors {len(errors)} {errors[:1]}"
            )
            return clients

        return asyncio.run_coroutine_threadsafe(start(), self.loop).result(450)

    def close(self, clients: list[Client]) -> None:
        async def stop():
            for client in clients:
                client.task.cancel()
            await asyncio.gather(*(c.task for c in clients), return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(60)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time so far of a process and its children (uvicorn runs
    WEB_CONCURRENCY worker processes under a supervisor), from Linux's /proc."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    family = {pid}
    for child, (parent, _) in sorted(stats.items()):
        if parent in family:
            family.add(child)
    ticks = sum(stats[p][1] for p in family if p in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def book_rounds(ct: ClusterTest, lines: list, seconds: float, threads: int) -> tuple[int, int]:
    """Bookings on node 1 for ``seconds`` (each line once); returns (201s, others)."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    ok = other = 0

    def worker():
        nonlocal ok, other
        while time.monotonic() < deadline:
            with lock:
                if not lines:
                    return
                showtime, seat, token = lines.pop()
            reply = ct.book(showtime, [seat], ct.tokens[token], port=ct.ports.node1)
            with lock:
                if reply.status == 201:
                    ok += 1
                else:
                    other += 1

    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(worker)
    return ok, other


def _throughput(ct, topology, loop, opts, figures, watched, throughput_lines) -> None:
    """1. Booking throughput with and without streams open on node 1."""
    # 1. booking throughput with and without streams on node 1
    rounds = []
    stream_pid = topology.pid("stream1")
    for _ in range(opts.rounds):
        without, _ = book_rounds(ct, throughput_lines, opts.seconds, 12)
        # Raw streams: the bench's own parsing would take the CPU the bookings need.
        clients = loop.open(topology.ports.stream1, watched, opts.streams, raw=True)
        cpu_before = cpu_seconds(stream_pid)
        with_streams, _ = book_rounds(ct, throughput_lines, opts.seconds, 12)
        stream_cpu = cpu_seconds(stream_pid) - cpu_before
        errors = [c.error for c in clients if c.error]
        loop.close(clients)
        rounds.append(
            {
                "without_per_s": round(without / opts.seconds, 1),
                "with_per_s": round(with_streams / opts.seconds, 1),
                "stream_errors": len(errors),
                "stream_error_sample": errors[:2],
                # What the open streams cost the machine while the bookings ran: the
                # stream process's CPU, as a share of one core.
                "stream_process_cpu_share": round(stream_cpu / opts.seconds, 3),
            }
        )
        log(
            f"bookings/s without streams {rounds[-1]['without_per_s']}, with {rounds[-1]['with_per_s']}"
        )
    ratio = sum(r["with_per_s"] for r in rounds) / sum(r["without_per_s"] for r in rounds)
    figures["throughput"] = {"rounds": rounds, "ratio_with_to_without": round(ratio, 3)}


def _latency(ct, topology, loop, opts, figures):
    """2. Change-to-client latency across nodes: streams on node 2, changes on node 1.
    Returns the showtime watched, its lines and the clients, for the storm."""
    # 2. latency across nodes: streams on node 2, changes on node 1, one at a time
    showtime_lines = ct.show_lines(20)
    showtime = showtime_lines[0][0]
    clients = loop.open(topology.ports.stream2, [showtime], opts.streams)
    samples, missing = [], 0
    for showtime_, seat, token in showtime_lines[: opts.changes // 2]:
        reservation = None
        for status in ("booked", "available"):
            waiter = loop.waiting[(showtime_, seat, status)] = (time.monotonic(), [])
            if status == "booked":
                reply = ct.book(showtime_, [seat], ct.tokens[token], port=topology.ports.node1)
                reservation = reply.json()["id"]
            else:
                call(
                    topology.ports.node1,
                    "DELETE",
                    f"/api/reservations/{reservation}/",
                    token=ct.tokens[token],
                )
            deadline = time.monotonic() + 5
            while len(waiter[1]) < len(clients) and time.monotonic() < deadline:
                time.sleep(0.01)
            missing += len(clients) - len(waiter[1])
            samples.extend(waiter[1])
    figures["latency_ms"] = {
        "changes": opts.changes,
        "samples": len(samples),
        "missing": missing,
        "p50": round(percentile(samples, 0.5) * 1000, 1),
        "p99": round(percentile(samples, 0.99) * 1000, 1),
        "max": round(max(samples, default=float("nan")) * 1000, 1),
    }
    log(f"latency {figures['latency_ms']}")

    return showtime, showtime_lines, clients


def _storm(ct, topology, loop, opts, figures, showtime, showtime_lines, clients) -> None:
    """3. Bookings and cancels in parallel, then every client's map against /seats/."""
    # 3. the storm: bookings and cancels in parallel, then every map against /seats/
    pairs = showtime_lines[opts.changes // 2 :]
    operations = []

    def storm(line):
        showtime_, seat, token = line
        for _ in range(max(1, opts.storm // (2 * len(pairs)) + 1)):
            if len(operations) >= opts.storm:
                break
            reply = ct.book(showtime_, [seat], ct.tokens[token], port=topology.ports.node1)
            operations.append(reply.status)
            if reply.status == 201:
                reply = call(
                    topology.ports.node1,
                    "DELETE",
                    f"/api/reservations/{reply.json()['id']}/",
                    token=ct.tokens[token],
                )
                operations.append(reply.status)
        # The last booking stays: the storm ends with seats taken.
        ct.book(showtime_, [seat], ct.tokens[token], port=topology.ports.node1)

    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(storm, pairs))
    storm_seconds = time.monotonic() - started
    time.sleep(3)
    topology.wait_replica_caught_up()  # /seats/ reads the replica
    truth = call(topology.ports.node2, "GET", f"/api/showtimes/{showtime}/seats/")
    expected = {s["id"]: s["status"] for s in truth.json()["seats"]}

    def equal() -> int:
        return sum(1 for c in clients if c.statuses == expected and c.etag == truth.headers["etag"])

    # The clients (one Python thread parsing every stream) may still be reading the
    # storm's events: wait until each map is the truth, or --settle seconds.
    settle_started = time.monotonic()
    while equal() < len(clients) and time.monotonic() - settle_started < opts.settle:
        time.sleep(0.5)
    figures["storm"] = {
        "operations": len(operations),
        "seconds": round(storm_seconds, 1),
        "settled_after_seconds": round(time.monotonic() - settle_started, 1),
        "statuses": {str(k): operations.count(k) for k in set(operations)},
        "clients": len(clients),
        "maps_equal_to_seats": equal(),
        "stream_errors": sum(1 for c in clients if c.error),
        "seats_differing_per_client_max": max(
            sum(1 for k, v in expected.items() if c.statuses.get(k) != v) for c in clients
        ),
        "etags_equal": sum(1 for c in clients if c.etag == truth.headers["etag"]),
    }
    log(f"storm {figures['storm']}")
    loop.close(clients)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--storm", type=int, default=2000, help="bookings and cancels")
    parser.add_argument(
        "--settle", type=float, default=120, help="seconds the maps may take to catch up"
    )
    parser.add_argument("--max-seconds", type=int, default=900)
    opts = parser.parse_args()

    def on_alarm(signum, frame):
        raise TimeoutError("bench/live.py exceeded --max-seconds")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(opts.max_seconds)
    topology = Topology.create(attached=True)
    figures: dict = {"streams": opts.streams}
    try:
        topology.up()
        ct = ClusterTest(topology)
        ct.setup_django()
        ct.seed()
        loop = Loop()
        # Showtimes 0-19 for the throughput rounds (6,000 seats), 20 for the latency
        # and the storm.
        watched = sorted({line[0] for line in ct.show_lines(0, 20)})
        throughput_lines = list(reversed(ct.show_lines(0, 20)))

        _throughput(ct, topology, loop, opts, figures, watched, throughput_lines)
        showtime, showtime_lines, clients = _latency(ct, topology, loop, opts, figures)
        _storm(ct, topology, loop, opts, figures, showtime, showtime_lines, clients)
    finally:
        signal.alarm(0)
        topology.down()
    write_results("live", figures)
    return 0


def write_results(name: str, figures: dict) -> None:
    """A run's figures: printed, and kept in bench/results/<name>-<UTC time>.json (ignored
    by git)."""
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"{name}-{stamp}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    sys.exit(main())

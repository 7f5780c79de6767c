"""Test helpers: the production server (gunicorn, DEBUG=0) on the test database, and a
lock storm driven against it over real HTTP. Imported by tests only.

A fault that pins workers (a booking waiting for a row lock) can only be seen on the
real server: in process, every test thread is its own "worker".
"""

import contextlib
import ctypes
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PORTS = range(18900, 19000)


def _free_port(ports=PORTS) -> int:
    """A port of ``ports`` that nothing listens on now, tried in a random order: CI runs
    the SQLite and MariaDB suites side by side, and two processes walking the range in
    the same order would pick the same port between this check and its use."""
    import random
    import socket

    for port in random.sample(list(ports), len(ports)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free port for the live server")


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "root"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 3306
    return f"mysql://{auth}@{host}:{port}/{settings_dict['NAME']}"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LiveServer:
    """gunicorn with config/gunicorn.conf.py, DEBUG=0, on 127.0.0.1:<port in PORTS>."""

    def __init__(self, *, database: str, signing_key: str, env: dict | None = None):
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "live-test-only-secret-key-0123456789abcdefghijklmnopqrstuv",
            "JWT_SIGNING_KEY": signing_key,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_PROXY_SSL_HEADER": "0",
            "DATABASE_URL": database,
            "REDIS_URL": "",
            "REQUEST_LOG": "0",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_LOG_LEVEL": "warning",
            **(env or {}),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "LiveServer":
        # Fixed arguments: the interpreter running the tests and the project's config.
        # The server's log goes to a file: a pipe nobody reads would fill up and block
        # the workers on their next log line.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log_tail())
            with contextlib.suppress(OSError):
                status, _, _ = self.request("GET", "/api/health/", timeout=2)
                if status == 200:
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the live server did not start")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process is not None:
            self.log.close()

    def log_tail(self, size: int = 4000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, timeout=30, conn=None):
        """(status, headers, parsed JSON body or None)."""
        own = conn is None
        conn = conn or self.connection(timeout)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            if own:
                conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, dict(response.getheaders()), data


@dataclass
class StormResult:
    bookings: list[tuple[int, float, str | None, str | None]] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)

    def read_p(self, quantile: float) -> float:
        ordered = sorted(self.reads)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def read_in_a_loop(server: LiveServer, path: str, stop: float, result: StormResult) -> None:
    """GET ``path`` on one kept-alive connection until ``time.monotonic()`` reaches
    ``stop``, recording each answer's time in ``result.reads`` (and any non-200 or lost
    connection in ``result.read_errors``): what a reader sees while a storm runs."""
    conn = server.connection()
    try:
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                status, _, _ = server.request("GET", path, conn=conn)
            except OSError as exc:
                result.read_errors.append(repr(exc))
                conn.close()
                conn = server.connection()
                continue
            result.reads.append(time.monotonic() - started)
            if status != 200:
                result.read_errors.append(str(status))
            time.sleep(0.02)
    finally:
        conn.close()


def lock_storm(
    server: LiveServer,
    *,
    showtime_id: int,
    seat_ids: list[int],
    tokens: list[str],
    seconds: float,
    read_path: str = "/api/movies/",
) -> StormResult:
    """While the caller holds the showtime's row lock: one client per token books its
    seat in a loop, and one more reads ``read_path`` in a loop, for ``seconds``. Each
    client keeps its HTTP connection alive, as a browser or a load balancer does."""
    result = StormResult()
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def book(token: str, seat_id: int) -> None:
        conn = server.connection()
        try:
            while time.monotonic() < stop:
                started = time.monotonic()
                try:
                    status, headers, data = server.request(
                        "POST",
                        "/api/reservations/",
                        {"showtime": showtime_id, "seats": [seat_id]},
                        token=token,
                        conn=conn,
                    )
                except OSError as exc:  # recorded as status 0: no answer
                    status, headers, data = 0, {}, {"code": repr(exc)}
                    conn.close()
                    conn = server.connection()
                elapsed = time.monotonic() - started
                code = data.get("code") if isinstance(data, dict) else None
                with lock:
                    result.bookings.append((status, elapsed, code, headers.get("Retry-After")))
        finally:
            conn.close()

    threads = [
        threading.Thread(target=book, args=(token, seat_id))
        for token, seat_id in zip(tokens, seat_ids, strict=True)
    ]
    threads.append(threading.Thread(target=read_in_a_loop, args=(server, read_path, stop, result)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return result

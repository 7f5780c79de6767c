"""Start and stop the topology: every process by its pid, every file under one temporary
directory, every port on 127.0.0.1 (CLUSTER_HTTP_PORT, CLUSTER_DB_PORT,
CLUSTER_REDIS_PORT).

The state (pids, ports, the directory, generated passwords) is written to
``.cluster/state.json`` after each step, so ``down`` stops whatever an interrupted ``up``
had started.
"""

import contextlib
import ctypes
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
STATE_FILE = ROOT / ".cluster" / "state.json"
HOST = "127.0.0.1"  # every service listens here and nothing else is ever a target
DATABASE = "marquee"
APP_USER = "marquee"
REPLICATION_USER = "replication"
# Workers per app node: two nodes of three share the machine's two cores with MariaDB,
# Redis, nginx and the load generator.
NODE_WORKERS = 3
# Threads per worker (gthread), as production runs them (config/gunicorn.conf.py).
NODE_THREADS = 8


def log(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


@dataclass(frozen=True)
class Ports:
    http: int  # nginx in front of both nodes
    node1: int
    node2: int
    single: int  # nginx in front of node 1 only (for the one-node figures)
    primary: int
    replica: int
    redis: int
    stream1: int  # node 1's ASGI process (the live seat maps)
    stream2: int

    @classmethod
    def from_env(cls) -> "Ports":
        http = int(os.environ.get("CLUSTER_HTTP_PORT", "8410"))
        db = int(os.environ.get("CLUSTER_DB_PORT", "3410"))
        redis = int(os.environ.get("CLUSTER_REDIS_PORT", "6410"))
        return cls(http, http + 1, http + 2, http + 3, db, db + 1, redis, http + 4, http + 5)


# --- processes ------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in a child before exec (``test`` only): SIGTERM it if the driver dies."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def alive(pid: int | None) -> bool:
    """True while the process exists and is not a zombie."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop_process(pid: int | None, name: str, *, timeout: float = 30, sig=signal.SIGTERM) -> None:
    """Stop the process group the process leads (it was started in its own session), by
    pid: ``sig`` first, SIGKILL after ``timeout`` seconds."""
    if not alive(pid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid):
            break
        time.sleep(0.1)
    else:
        log(f"{name} (pid {pid}) did not stop in {timeout:.0f} s: SIGKILL")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        for _ in range(50):
            _reap(pid)
            if not alive(pid):
                break
            time.sleep(0.1)
    # Workers of a killed master (gunicorn, nginx) are in the same group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def wait_for(check, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:  # a service still starting raises; try again
            last_error = exc
        else:
            if result:
                return result
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}: {last_error}")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def http_get(port: int, path: str, timeout: float = 5) -> int:
    url = f"http://{HOST}:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- the topology ---------------------------------------------------------------------


class Topology:
    def __init__(self, state: dict):
        self.state = state
        self.dir = Path(state["dir"])
        self.ports = Ports(**state["ports"])
        self.attached = state.get("attached", False)

    # -- state --

    @classmethod
    def create(cls, *, attached: bool) -> "Topology":
        ports = Ports.from_env()
        busy = [p for p in vars(ports).values() if not port_is_free(p)]
        if busy:
            raise SystemExit(
                f"ports in use: {busy} (a cluster already up? `scripts/cluster down`; "
                "or choose others with CLUSTER_HTTP_PORT, CLUSTER_DB_PORT, CLUSTER_REDIS_PORT)"
            )
        directory = Path(tempfile.mkdtemp(prefix="marquee-cluster-"))
        # nginx's workers and MariaDB run as other users: they need to reach their files.
        directory.chmod(0o755)
        state = {
            "dir": str(directory),
            "ports": vars(ports),
            "attached": attached,
            "pids": {},
            "secret_key": secrets.token_urlsafe(48),
            "app_password": secrets.token_urlsafe(18),
            "replication_password": secrets.token_urlsafe(18),
        }
        topology = cls(state)
        topology.save()
        return topology

    @classmethod
    def load(cls) -> "Topology | None":
        if not STATE_FILE.exists():
            return None
        return cls(json.loads(STATE_FILE.read_text()))

    def save(self) -> None:
        STATE_FILE.parent.mkdir(exist_ok=True)
        STATE_FILE.write_text(json.dumps(self.state, indent=2))
        STATE_FILE.chmod(0o600)

    def _started(self, name: str, process: subprocess.Popen) -> None:
        self.state["pids"][name] = process.pid
        self.save()

    def pid(self, name: str) -> int | None:
        return self.state["pids"].get(name)

    def _spawn(self, name: str, command: list[str], *, env=None, cwd=None) -> subprocess.Popen:
        log_file = (self.dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=cwd or self.dir,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.attached else None,
        )
        log_file.close()
        self._started(name, process)
        return process

    # -- environment of the app --

    def database_url(self, role: str) -> str:
        port = self.ports.primary if role == "primary" else self.ports.replica
        return f"mysql://{APP_USER}:{self.state['app_password']}@{HOST}:{port}/{DATABASE}"

    def app_env(self, *, node_port: int | None = None, replica: bool = True) -> dict:
        """deploy/env/app-node.env, with this machine's addresses and plain HTTP."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
        env.update(read_env_file(DEPLOY / "env" / "app-node.env"))
        env.update(
            {
                "SECRET_KEY": self.state["secret_key"],
                "ALLOWED_HOSTS": f"{HOST},localhost",
                "CSRF_TRUSTED_ORIGINS": f"http://{HOST}:{self.ports.http}",
                "DATABASE_URL": self.database_url("primary"),
                "REDIS_URL": f"redis://{HOST}:{self.ports.redis}/0",
                "STATIC_ROOT": str(self.dir / "static"),
                # nginx here speaks plain HTTP on loopback: no TLS to insist on.
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                "SECURE_HSTS_SECONDS": "0",
                # The bench's URL module: the whole API plus the ceiling view (no
                # database) that the throughput figures are measured against.
                "ROOT_URLCONF": "bench.urls",
                "WEB_CONCURRENCY": str(NODE_WORKERS),
                "GUNICORN_THREADS": str(NODE_THREADS),
                "JWT_ACCESS_MINUTES": "60",
                # No Stripe here, and the checks sell seats directly: bookings confirm at
                # once (payments are proven against localstripe in payments/tests/).
                "PAYMENT_REQUIRED": "0",
                "STRIPE_SECRET_KEY": "",
                "STRIPE_WEBHOOK_SECRET": "",
                "PYTHONPATH": str(ROOT),
            }
        )
        if replica:
            env["DATABASE_REPLICA_URL"] = self.database_url("replica")
        else:
            env.pop("DATABASE_REPLICA_URL", None)
        if node_port:
            env["GUNICORN_BIND"] = f"{HOST}:{node_port}"
        return env

    # -- MariaDB --

    def _mariadb_dir(self, role: str) -> Path:
        return self.dir / role

    def socket(self, role: str) -> str:
        return str(self._mariadb_dir(role) / "mariadb.sock")

    def admin(self, role: str):
        """A root connection over the instance's Unix socket (no password: the socket
        lives in this cluster's private directory)."""
        import MySQLdb

        return MySQLdb.connect(
            unix_socket=self.socket(role), user="root", connect_timeout=5, autocommit=True
        )

    def sql(self, role: str, statements: str | list[str], database: str | None = None):
        """Run statements as root; return the last one's rows."""
        if isinstance(statements, str):
            statements = [statements]
        connection = self.admin(role)
        try:
            cursor = connection.cursor()
            if database:
                cursor.execute(f"USE `{database}`")
            rows = ()
            for statement in statements:
                cursor.execute(statement)
                rows = cursor.fetchall() if cursor.description else ()
            return rows
        finally:
            connection.close()

    def _write_mariadb_config(self, role: str) -> tuple[Path, Path]:
        """The instance's own settings (paths, port, memory) and, for running it, the
        same plus deploy/mariadb/<role>.cnf."""
        directory = self._mariadb_dir(role)
        port = self.ports.primary if role == "primary" else self.ports.replica
        lines = [
            "[mariadbd]",
            f"datadir = {directory / 'data'}",
            f"socket = {self.socket(role)}",
            f"pid_file = {directory / 'mariadb.pid'}",
            f"log_error = {directory / 'error.log'}",
            f"port = {port}",
            f"bind_address = {HOST}",
            # Small: it shares the machine with the shared server and everything else.
            "innodb_buffer_pool_size = 128M",
            "performance_schema = OFF",
        ]
        if os.geteuid() == 0:
            lines.append("user = mysql")
        base = directory / "base.cnf"
        base.write_text("\n".join(lines) + "\n")
        full = directory / "my.cnf"
        full.write_text("\n".join(lines) + f"\n!include {DEPLOY / 'mariadb' / f'{role}.cnf'}\n")
        return base, full

    def start_mariadb(self, role: str, *, initialise: bool = True) -> None:
        directory = self._mariadb_dir(role)
        base, full = directory / "base.cnf", directory / "my.cnf"
        if initialise:
            (directory / "data").mkdir(parents=True, mode=0o700)
            base, full = self._write_mariadb_config(role)
            if os.geteuid() == 0:
                mysql = pwd.getpwnam("mysql")
                for path in (directory, directory / "data"):
                    os.chown(path, mysql.pw_uid, mysql.pw_gid)
            # Initialised without the role's settings: the system tables are written
            # with no binary log, so both servers start with an empty GTID history.
            subprocess.run(
                [
                    "mariadb-install-db",
                    f"--defaults-file={base}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    *(["--user=mysql"] if os.geteuid() == 0 else []),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        self._spawn(f"mariadb-{role}", ["mariadbd", f"--defaults-file={full}"])
        wait_for(lambda: self.sql(role, "SELECT 1"), timeout=60, what=f"MariaDB {role} to accept")

    def stop_mariadb(self, role: str) -> None:
        stop_process(self.pid(f"mariadb-{role}"), f"MariaDB {role}", timeout=60)

    def setup_replication(self) -> None:
        users = (DEPLOY / "mariadb" / "users.sql").read_text()
        users = users.replace("CHANGE-ME-APP-PASSWORD", self.state["app_password"])
        users = users.replace("CHANGE-ME-REPLICATION-PASSWORD", self.state["replication_password"])
        self.sql("primary", sql_statements(users))
        setup = (DEPLOY / "mariadb" / "replica-setup.sql").read_text()
        setup = setup.replace("CHANGE-ME-REPLICATION-PASSWORD", self.state["replication_password"])
        setup = setup.replace("MASTER_PORT = 3306", f"MASTER_PORT = {self.ports.primary}")
        assert str(self.ports.primary) in setup, "replica-setup.sql no longer names the port"
        self.sql("replica", sql_statements(setup))
        wait_for(self.replication_running, timeout=30, what="replication to run")
        self.sql(
            "primary",
            sql_statements((DEPLOY / "mariadb" / "heartbeat.sql").read_text()),
            database=DATABASE,
        )
        self.wait_replica_caught_up()

    def replica_status(self) -> dict:
        connection = self.admin("replica")
        try:
            cursor = connection.cursor()
            cursor.execute("SHOW SLAVE STATUS")
            row = cursor.fetchone()
            if row is None:
                return {}
            return dict(zip([c[0] for c in cursor.description], row, strict=True))
        finally:
            connection.close()

    def replication_running(self) -> bool:
        status = self.replica_status()
        if status.get("Last_IO_Error") or status.get("Last_SQL_Error"):
            raise RuntimeError(
                f"replication error: {status.get('Last_IO_Error')} {status.get('Last_SQL_Error')}"
            )
        return status.get("Slave_IO_Running") == "Yes" and status.get("Slave_SQL_Running") == "Yes"

    def wait_replica_caught_up(self, timeout: int = 60) -> float:
        """Wait (MariaDB's MASTER_GTID_WAIT) until the replica has applied everything the
        primary has written so far; return the seconds it took."""
        position = self.sql("primary", "SELECT @@gtid_binlog_pos")[0][0]
        started = time.monotonic()
        result = self.sql("replica", f"SELECT MASTER_GTID_WAIT('{position}', {timeout})")[0][0]
        if result != 0:
            raise RuntimeError(f"the replica did not reach {position} in {timeout} s")
        return time.monotonic() - started

    # -- Redis --

    def start_redis(self) -> None:
        (self.dir / "redis").mkdir()
        self._spawn(
            "redis",
            [
                "redis-server",
                "--bind",
                HOST,
                "--port",
                str(self.ports.redis),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir / "redis"),
                "--daemonize",
                "no",
            ],
        )
        import redis

        client = redis.Redis(host=HOST, port=self.ports.redis, socket_timeout=2)
        wait_for(client.ping, timeout=20, what="Redis")

    # -- the app --

    def manage(self, *args: str, timeout: int = 300) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.app_env(replica=False),
            check=True,
            timeout=timeout,
        )

    def start_node(self, name: str) -> None:
        port = getattr(self.ports, name)
        self._spawn(
            name,
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "config/gunicorn.conf.py"],
            env=self.app_env(node_port=port),
            cwd=ROOT,
        )
        wait_for(
            lambda: http_get(port, "/api/health/") == 200,
            timeout=60,
            what=f"app {name} on port {port}",
        )

    def start_stream(self, name: str) -> None:
        """The ASGI process beside a node (deploy/systemd/marquee-stream.service)."""
        port = getattr(self.ports, name)
        self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                HOST,
                "--port",
                str(port),
                # One process (uvicorn would take WEB_CONCURRENCY from the node's env):
                # each process re-reads a changed map once for all its streams.
                "--workers",
                "1",
                "--lifespan",
                "off",
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "2",
            ],
            env=self.app_env(),
            cwd=ROOT,
        )
        wait_for(
            lambda: http_get(port, "/api/health/") == 200,
            timeout=60,
            what=f"stream process {name} on port {port}",
        )

    def stop_node(self, name: str, sig=signal.SIGTERM) -> None:
        stop_process(self.pid(name), name, sig=sig)

    # -- nginx --

    def _nginx_site(self, *, upstream: str, port: int, nodes: list[int], streams: list[int]) -> str:
        """deploy/nginx/marquee.conf with this cluster's ports, paths and, for the
        one-node front door, its own upstream name."""
        site = (DEPLOY / "nginx" / "marquee.conf").read_text()
        replacements = {
            "server 127.0.0.1:8001 max_fails=2 fail_timeout=5s;\n    "
            "server 127.0.0.1:8002 max_fails=2 fail_timeout=5s;\n": "".join(
                f"server {HOST}:{node} max_fails=2 fail_timeout=5s;\n    " for node in nodes
            ),
            "server 127.0.0.1:8003 max_fails=2 fail_timeout=5s;\n    "
            "server 127.0.0.1:8004 max_fails=2 fail_timeout=5s;\n": "".join(
                f"server {HOST}:{stream} max_fails=2 fail_timeout=5s;\n    " for stream in streams
            ),
            "listen 80;": f"listen {HOST}:{port};",
            "/srv/marquee/staticfiles/": f"{self.dir / 'static'}/",
            "marquee_app": upstream,
            "$marquee_static_expires": f"${upstream}_static_expires",
        }
        for old, new in replacements.items():
            if old not in site:
                raise RuntimeError(f"deploy/nginx/marquee.conf no longer contains {old!r}")
            site = site.replace(old, new)
        return site

    def start_nginx(self) -> None:
        prefix = self.dir / "nginx"
        prefix.mkdir()
        ports = self.ports
        for name, port, nodes, streams in (
            ("marquee_app", ports.http, [ports.node1, ports.node2], [ports.stream1, ports.stream2]),
            ("marquee_single", ports.single, [ports.node1], [ports.stream1]),
        ):
            (prefix / f"{name}.conf").write_text(
                self._nginx_site(upstream=name, port=port, nodes=nodes, streams=streams)
            )
        (prefix / "nginx.conf").write_text(
            "\n".join(
                [
                    "daemon off;",
                    "worker_processes auto;",
                    f"pid {prefix / 'nginx.pid'};",
                    f"error_log {prefix / 'error.log'} warn;",
                    # A live seat map holds two connections (the client's and the
                    # stream process's) for as long as it lasts: thousands of them.
                    "worker_rlimit_nofile 16384;",
                    "events { worker_connections 8192; }",
                    "http {",
                    "    include /etc/nginx/mime.types;",
                    "    default_type application/octet-stream;",
                    "    sendfile on;",
                    f"    access_log {prefix / 'access.log'} combined buffer=64k flush=1s;",
                    f"    client_body_temp_path {prefix / 'client_body'};",
                    f"    proxy_temp_path {prefix / 'proxy'};",
                    f"    fastcgi_temp_path {prefix / 'fastcgi'};",
                    f"    uwsgi_temp_path {prefix / 'uwsgi'};",
                    f"    scgi_temp_path {prefix / 'scgi'};",
                    f"    include {prefix / 'marquee_app.conf'};",
                    f"    include {prefix / 'marquee_single.conf'};",
                    "}",
                    "",
                ]
            )
        )
        command = [
            "nginx",
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(prefix / "error.log"),
        ]
        subprocess.run([*command, "-t", "-q"], check=True, timeout=30)
        self._spawn("nginx", command)
        wait_for(
            lambda: http_get(self.ports.http, "/api/health/") == 200,
            timeout=30,
            what="nginx",
        )

    # -- all of it --

    def up(self) -> None:
        started = time.monotonic()
        log(f"directory {self.dir}; ports {vars(self.ports)}")
        for role in ("primary", "replica"):
            self.start_mariadb(role)
        log("MariaDB primary and replica running")
        self.setup_replication()
        log("replication running (GTID), heartbeat installed")
        self.start_redis()
        log("Redis running")
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        caught_up = self.wait_replica_caught_up()
        log(f"migrated on the primary; the replica caught up in {caught_up:.2f} s")
        for name in ("node1", "node2"):
            self.start_node(name)
        log(f"app nodes on {self.ports.node1} and {self.ports.node2}")
        for name in ("stream1", "stream2"):
            self.start_stream(name)
        log(f"stream processes (ASGI) on {self.ports.stream1} and {self.ports.stream2}")
        self.start_nginx()
        log(
            f"up in {time.monotonic() - started:.0f} s: http://{HOST}:{self.ports.http}/ "
            f"(nginx; node 1 alone behind http://{HOST}:{self.ports.single}/)"
        )

    def down(self) -> None:
        for name in (
            "nginx",
            "stream2",
            "stream1",
            "node2",
            "node1",
            "redis",
            "mariadb-replica",
            "mariadb-primary",
        ):
            stop_process(self.pid(name), name, timeout=60 if name.startswith("mariadb") else 30)
        shutil.rmtree(self.dir, ignore_errors=True)
        STATE_FILE.unlink(missing_ok=True)
        log("down: every process stopped, directory removed")


def read_env_file(path: Path) -> dict:
    """KEY=VALUE lines; blank lines and # comments skipped."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def sql_statements(text: str) -> list[str]:
    """The statements of a deploy/mariadb/*.sql file (no semicolons inside them)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [statement.strip() for statement in "\n".join(lines).split(";") if statement.strip()]

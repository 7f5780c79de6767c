"""A TCP proxy that a test controls, to put a fault between the app and a server.

Used by the fault tests (``core/tests/test_faults.py``) and nothing else: the app talks
to MariaDB or Redis through the proxy, and the test switches it between

- ``PASS``: bytes flow both ways, as if the proxy were not there;
- ``REFUSE``: the listening socket is closed and every open connection is reset, as when
  the server is down (a new connection is refused at once);
- ``BLACKHOLE``: connections are accepted and kept open but nothing is forwarded either
  way, as when the server is stopped (SIGSTOP) or the network drops every packet: the
  client waits until its own timeout.

The shared servers themselves are never touched.
"""

import contextlib
import selectors
import socket
import threading

PASS = "pass"
REFUSE = "refuse"
BLACKHOLE = "blackhole"


def _reset(sock: socket.socket) -> None:
    """Close with an RST, like a crashed server, not a polite FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    def __init__(self, target: tuple[str, int], *, ports=range(18900, 19000)):
        self.target = target
        self.mode = PASS
        self._ports = ports
        self.port: int | None = None
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.accepted = 0  # connections accepted so far, in any mode

    # --- life cycle ---------------------------------------------------------------------
    def start(self) -> "FaultProxy":
        self._listen()
        self._spawn(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._close_listener()
        self._reset_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    # --- faults -------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        if mode not in (PASS, REFUSE, BLACKHOLE):
            raise ValueError(mode)
        previous, self.mode = self.mode, mode
        if mode == REFUSE:
            self._close_listener()
            self._reset_all()
        elif previous == REFUSE:
            self._listen()
        if mode == PASS and previous == BLACKHOLE:
            # Connections that lived through the black hole carry half-delivered
            # requests; a real server would have dropped them too.
            self._reset_all()

    # --- internals ----------------------------------------------------------------------
    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _listen(self) -> None:
        ports = [self.port] if self.port is not None else list(self._ports)
        last_error = None
        for port in ports:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind(("127.0.0.1", port))
            except OSError as exc:
                listener.close()
                last_error = exc
                continue
            listener.listen(128)
            listener.settimeout(0.05)
            self.port = port
            with self._lock:
                self._listener = listener
            return
        raise OSError(f"no free port for the fault proxy: {last_error}")

    def _close_listener(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() stops a listening socket at once, even while the accept loop
            # still polls it; close() alone would leave it listening until then.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _reset_all(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _reset(client)
            if upstream is not None:
                _reset(upstream)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                self._stopped.wait(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            client.setblocking(True)
            with self._lock:
                self.accepted += 1
            if self.mode == BLACKHOLE:
                with self._lock:
                    self._pairs.append((client, None))
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            self._spawn(self._pump, client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        selector = selectors.DefaultSelector()
        try:
            for sock in peers:
                # Blocking sockets: select says when recv will not block, and sendall
                # may then wait for the peer to take the bytes.
                selector.register(sock, selectors.EVENT_READ)
            while not self._stopped.is_set():
                if self.mode == BLACKHOLE:
                    # Hold both ends open; read nothing, forward nothing.
                    self._stopped.wait(0.05)
                    continue
                for key, _ in selector.select(timeout=0.05):
                    if self.mode != PASS:
                        break
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    peers[key.fileobj].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for sock in peers:
                with contextlib.suppress(OSError):
                    sock.close()

"""A real SMTP server for the tests (aiosmtpd), on a free port in 19300-19399, and the
pytest fixture that points the email settings at it. Imported by tests only."""

import asyncio
import contextlib
import email
import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

import pytest

from testsupport.liveserver import _free_port

SMTP_PORTS = range(19300, 19400)


def free_port(ports=SMTP_PORTS) -> int:
    return _free_port(ports)


@dataclass
class Delivery:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=policy.default)


@dataclass
class SMTPSink:
    """The handler: keeps what arrives, refuses the addresses in ``refuse`` with 550,
    and takes ``delay`` seconds over each message (so two workers overlap)."""

    deliveries: list[Delivery] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    delay: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.deliveries.append(
                Delivery(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [delivery.message for delivery in self.deliveries]


class SMTPServer:
    """aiosmtpd in a thread of its own; ``start()`` and ``stop()`` may be called again
    (the same port), to take the server down and bring it back."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.sink = SMTPSink()
        self._controller = None

    def start(self) -> "SMTPServer":
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.sink.messages


class Blackhole:
    """A port that accepts connections and never answers, counting them: a hung mail
    server (or a network that drops every packet)."""

    def __init__(self):
        self.port = free_port()
        self.connections = 0
        self._accepted: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.05)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "Blackhole":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for sock in [*self._accepted, self._listener]:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            self._accepted.append(sock)


def use_smtp(settings, port: int, *, timeout: int = 3) -> None:
    """Point Django's email settings (a pytest-django ``settings`` fixture) at a local
    plain SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = timeout


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server that the email settings point at."""
    server = SMTPServer().start()
    use_smtp(settings, server.port)
    try:
        yield server
    finally:
        server.stop()

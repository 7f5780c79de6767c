"""localstripe for the tests: the server, a customer's browser paying at it, and a
recorder of the webhooks it sends (signed by localstripe itself, with Stripe's scheme).

Ports come from 19200-19299. Nothing here reaches the internet.
"""

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import stripe

from testsupport.liveserver import _die_with_parent, _free_port

BASE_DIR = Path(__file__).resolve().parents[2]
PORTS = range(19200, 19300)
SECRET_KEY = "sk_test_marquee_localstripe"
WEBHOOK_SECRET = "whsec_marquee_test_only"

CARD_OK = "4242424242424242"
# localstripe declines charges on this card (PaymentMethod._charging_is_declined).
CARD_DECLINED = "4000000000000341"


def free_port() -> int:
    return _free_port(PORTS)


class LocalStripe:
    """localstripe in its own process, with its store in memory (localstripe_server)."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LocalStripe":
        for _ in range(5):  # another run may take the port between the check and the bind
            self.port = free_port()
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments, our interpreter
                [
                    sys.executable,
                    "-m",
                    "payments.tests.localstripe_server",
                    "--port",
                    str(self.port),
                ],
                cwd=BASE_DIR,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.process.poll() is None:
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{self.url}/js.stripe.com/v3/", timeout=1).close()  # noqa: S310
                    return self
                time.sleep(0.1)
            self.stop()
        raise RuntimeError("localstripe did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def configure_webhook(self, name: str, url: str, secret: str = WEBHOOK_SECRET) -> None:
        """localstripe's own configuration route: POST /_config/webhooks/<name>."""
        body = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        # http://127.0.0.1 only: the URL is built from our own port.
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/_config/webhooks/{name}", data=body, method="POST"
        )
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            SECRET_KEY,
            base_addresses={"api": self.url},
            http_client=stripe.RequestsClient(timeout=10),
            max_network_retries=0,
        )

    def intent(self, intent_id: str):
        return self.client().v1.payment_intents.retrieve(
            intent_id, params={"expand": ["latest_charge"]}
        )

    def amount_refunded(self, intent_id: str) -> int:
        """What localstripe gave back on the PaymentIntent's charge, in minor units."""
        charge = self.intent(intent_id).latest_charge
        return 0 if charge is None else int(charge.amount_refunded)

    def pay(self, client_secret: str, card: str = CARD_OK) -> str | None:
        """What the customer's browser does with the checkout's ``client_secret``: a
        PaymentMethod for the card, attached to the PaymentIntent, then confirmed.
        Returns the decline code, or None when the card was charged.

        Stripe.js would do this with the publishable key; localstripe accepts a
        publishable key only for tokens and sources, so the test uses the secret key."""
        intent_id = intent_id_of(client_secret)
        self.attach_card(intent_id, card)
        try:
            self.client().v1.payment_intents.confirm(intent_id)
        except stripe.CardError as exc:
            return str(exc.code)
        return None

    def attach_card(self, intent_id: str, card: str = CARD_OK) -> None:
        """A PaymentMethod for the card, set on the PaymentIntent (not confirmed yet)."""
        client = self.client()
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            }
        )
        client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})


def intent_id_of(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


@dataclass(frozen=True)
class Delivery:
    """One webhook as localstripe sent it: the raw body and its signature header."""

    body: bytes
    signature: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return self.event["type"]

    @property
    def intent_id(self) -> str:
        return self.event["data"]["object"]["id"]


class WebhookRecorder:
    """An HTTP endpoint that localstripe delivers its webhooks to; the tests replay them
    into the app when they choose (byte for byte, with localstripe's signature)."""

    def __init__(self):
        self.deliveries: list[Delivery] = []
        self._lock = threading.Condition()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                delivery = Delivery(self.rfile.read(length), self.headers["Stripe-Signature"])
                with recorder._lock:
                    recorder.deliveries.append(delivery)
                    recorder._lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self) -> "WebhookRecorder":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, event_type: str, intent_id: str, timeout: float = 15) -> Delivery:
        """The first delivery of this event type about this PaymentIntent."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for delivery in self.deliveries:
                    if delivery.type == event_type and delivery.intent_id == intent_id:
                        return delivery
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event_type} webhook for {intent_id}")
                self._lock.wait(left)


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature for ``body`` made with stripe-python's own helper: for bodies
    localstripe cannot produce (a forged or altered event)."""
    return stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=timestamp
    )

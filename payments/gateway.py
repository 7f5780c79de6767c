"""Stripe, through stripe-python: the only module that talks to the payment provider.

Every call has a connect and a read timeout and a bounded number of network retries
(``STRIPE_CONNECT_TIMEOUT``, ``STRIPE_TIMEOUT``, ``STRIPE_MAX_NETWORK_RETRIES``); calls
that create something carry an idempotency key, so a retry never creates it twice. After
Stripe could not be reached, calls fail fast for a while, and only a few threads of a
process wait on it at once (``guard``).
Errors come out as two exceptions: ``ProviderUnavailable`` (could not reach the provider,
timed out, rate limited, rejected our key, answered 5xx) and ``ProviderRefused`` (the
provider understood and said no: a declined card, a PaymentIntent that can no longer be
cancelled). Nothing here touches the database.
"""

import contextlib
import dataclasses
import functools
import json
import logging
import threading
import time
from decimal import Decimal

import stripe
from django.conf import settings

from core.money import to_minor

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


class ProviderUnavailable(ProviderError):
    """Not reached, timed out, or failed on its side: the outcome is unknown or nil."""

    # Refused during the guard's pause: when that pause ends (``time.monotonic``).
    pause: float | None = None


class ProviderRefused(ProviderError):
    """The provider answered and refused (4xx): retrying the same call will not help."""


@dataclasses.dataclass(frozen=True)
class Intent:
    """What Marquee reads of a Stripe PaymentIntent (from the API or an event)."""

    id: str
    status: str
    amount: int  # minor units
    currency: str  # upper case
    metadata: dict
    client_secret: str = ""
    error_code: str = ""
    error_message: str = ""
    amount_refunded: int = 0

    @classmethod
    def from_data(cls, data) -> "Intent":
        """From a PaymentIntent as a dict (an event's ``data.object``) or a StripeObject."""
        if hasattr(data, "to_dict"):
            data = data.to_dict()
        error = data.get("last_payment_error") or {}
        charge = data.get("latest_charge")
        refunded = charge.get("amount_refunded", 0) if isinstance(charge, dict) else 0
        return cls(
            id=str(data["id"]),
            status=str(data.get("status") or ""),
            amount=int(data.get("amount") or 0),
            currency=str(data.get("currency") or "").upper(),
            metadata=dict(data.get("metadata") or {}),
            client_secret=str(data.get("client_secret") or ""),
            error_code=str(error.get("code") or ""),
            error_message=str(error.get("message") or ""),
            amount_refunded=int(refunded or 0),
        )


def _as_dict(data) -> dict:
    if hasattr(data, "to_dict"):
        data = data.to_dict()
    if not isinstance(data, dict):
        raise TypeError(f"a Stripe object, not {type(data).__name__}")
    return data


def _minor_amount(value) -> int:
    """An amount in minor units as an event carries it; one no payment can have (Stripe
    charges at most eight digits) is a wrong event, not a figure to store."""
    amount = int(value or 0)
    if not 0 <= amount < 10**10:
        raise ValueError(f"amount out of range: {amount}")
    return amount


def _id_of(value) -> str:
    """An expandable field's id: Stripe sends either the id or the object."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")


@dataclasses.dataclass(frozen=True)
class Charge:
    """What Marquee reads of a Stripe Charge (a ``charge.refunded`` event's object)."""

    id: str
    payment_intent: str
    amount: int  # minor units
    amount_refunded: int
    currency: str  # upper case
    refunded: bool  # Stripe: the whole charge went back
    refund_id: str = ""  # the latest refund's, when the event carries its refunds

    @classmethod
    def from_data(cls, data) -> "Charge":
        data = _as_dict(data)
        refunds = (data.get("refunds") or {}).get("data") or []
        return cls(
            id=str(data["id"]),
            payment_intent=_id_of(data.get("payment_intent")),
            amount=_minor_amount(data.get("amount")),
            amount_refunded=_minor_amount(data.get("amount_refunded")),
            currency=str(data.get("currency") or "").upper(),
            refunded=bool(data.get("refunded")),
            refund_id=_id_of(refunds[0]) if refunds else "",
        )

    @property
    def fully_refunded(self) -> bool:
        return self.refunded or (self.amount > 0 and self.amount_refunded >= self.amount)


@dataclasses.dataclass(frozen=True)
class Dispute:
    """What Marquee reads of a Stripe Dispute (``charge.dispute.*`` events' object)."""

    id: str
    charge: str
    payment_intent: str
    amount: int  # minor units
    currency: str  # upper case
    status: str  # needs_response, under_review, won, lost...
    reason: str

    @classmethod
    def from_data(cls, data) -> "Dispute":
        data = _as_dict(data)
        return cls(
            id=str(data["id"]),
            charge=_id_of(data.get("charge")),
            payment_intent=_id_of(data.get("payment_intent")),
            amount=_minor_amount(data.get("amount")),
            currency=str(data.get("currency") or "").upper(),
            status=str(data.get("status") or ""),
            reason=str(data.get("reason") or ""),
        )


def enabled() -> bool:
    """Stripe is enabled when a secret key is set."""
    return bool(settings.STRIPE_SECRET_KEY)


@functools.lru_cache(maxsize=8)
def _client(key: str, base: str, connect: float, read: float, retries: int):
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        http_client=stripe.RequestsClient(timeout=(connect, read)),
        max_network_retries=retries,
    )


def client() -> stripe.StripeClient:
    """The Stripe client for the current settings (tests change them per test)."""
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        float(settings.STRIPE_CONNECT_TIMEOUT),
        float(settings.STRIPE_TIMEOUT),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def _paused(what: str) -> "ProviderUnavailable":
    return ProviderUnavailable(
        f"not asking Stripe for {what}: it did not answer a moment ago", code="provider_paused"
    )


class _Guard:
    """What stands between a worker thread and a Stripe that does not answer.

    - **A pause after a failure to reach it.** A call that could not connect or timed
      out (``APIConnectionError``, after the client's own retries) makes every call to
      that API address fail fast for ``STRIPE_RETRY_SECONDS``, as the Redis cache pauses
      after Redis failed (core/cache.py): a hung Stripe costs one thread one timeout,
      not every checkout its own.
    - **A bulkhead.** At most ``STRIPE_MAX_CONCURRENT_CALLS`` threads of a process wait on
      Stripe at once; one more call fails fast. A node's threads stay free for the movie
      list, the seat map and bookings while Stripe hangs.

    Both answer ``ProviderUnavailable`` (503 ``payment_provider_unavailable``, with
    Retry-After). Per process, like the stuck-lock memory and the cache's pause."""

    def __init__(self):
        self._lock = threading.Lock()
        self._paused_until: dict[str, float] = {}
        self._in_flight = 0

    def paused_for(self, address: str) -> float:
        """Seconds left of the pause after Stripe at ``address`` was unreachable (0:
        none)."""
        with self._lock:
            return max(0.0, self._paused_until.get(address, 0.0) - time.monotonic())

    def refusal(self, what: str, address: str) -> "ProviderUnavailable | None":
        """What ``call`` would raise now because of the pause (None: no pause). Its
        ``pause`` is the moment (``time.monotonic``) the pause ends, which names it."""
        with self._lock:
            until = self._paused_until.get(address, 0.0)
        if until <= time.monotonic():
            return None
        refused = _paused(what)
        refused.pause = until
        return refused

    def reset(self) -> None:
        with self._lock:
            self._paused_until.clear()
            self._in_flight = 0

    @contextlib.contextmanager
    def call(self, what: str, address: str):
        with self._lock:
            if time.monotonic() < self._paused_until.get(address, 0.0):
                raise _paused(what)
            if self._in_flight >= max(1, settings.STRIPE_MAX_CONCURRENT_CALLS):
                raise ProviderUnavailable(
                    f"not asking Stripe for {what}: {self._in_flight} calls already wait on it",
                    code="provider_busy",
                )
            self._in_flight += 1
        try:
            yield
        except stripe.APIConnectionError:
            with self._lock:
                self._paused_until[address] = time.monotonic() + settings.STRIPE_RETRY_SECONDS
            raise
        finally:
            with self._lock:
                self._in_flight -= 1


guard = _Guard()

# The codes of a ProviderUnavailable raised without asking Stripe at all.
NOT_ASKED = ("provider_paused", "provider_busy")


def _call(what: str, call):
    try:
        with guard.call(what, settings.STRIPE_API_BASE):
            return call()
    except (stripe.CardError, stripe.InvalidRequestError, stripe.IdempotencyError) as exc:
        logger.warning("stripe refused %s: %s", what, exc.user_message or exc)
        raise ProviderRefused(
            str(exc.user_message or exc), code=str(getattr(exc, "code", "") or "")
        ) from exc
    except stripe.StripeError as exc:
        # Connection errors and timeouts (after the client's retries), rate limits, an
        # invalid key, Stripe's own 5xx.
        logger.warning("stripe unavailable for %s: %s: %s", what, type(exc).__name__, exc)
        raise ProviderUnavailable(str(exc) or type(exc).__name__) from exc


CREATE_INTENT = "payment_intents.create"


def create_intent(
    *, amount: Decimal, currency: str, metadata: dict, idempotency_key: str
) -> Intent:
    intent = _call(
        CREATE_INTENT,
        lambda: client().v1.payment_intents.create(
            params={
                # Minor units (core.money): cents, or whole units (JPY...).
                "amount": to_minor(amount, currency),
                "currency": currency.lower(),
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        ),
    )
    return Intent.from_data(intent)


def retrieve_intent(intent_id: str) -> Intent:
    intent = _call(
        "payment_intents.retrieve",
        lambda: client().v1.payment_intents.retrieve(
            intent_id, params={"expand": ["latest_charge"]}
        ),
    )
    return Intent.from_data(intent)


def cancel_intent(intent_id: str) -> Intent:
    """Cancel a PaymentIntent that has not taken money; ProviderRefused once it has."""
    intent = _call("payment_intents.cancel", lambda: client().v1.payment_intents.cancel(intent_id))
    return Intent.from_data(intent)


def refund(intent_id: str, *, idempotency_key: str) -> str:
    """Refund everything the PaymentIntent captured; returns the refund's id."""
    result = _call(
        "refunds.create",
        lambda: client().v1.refunds.create(
            params={"payment_intent": intent_id}, options={"idempotency_key": idempotency_key}
        ),
    )
    return str(result.id)


class BadSignature(Exception):
    pass


class BadPayload(Exception):
    pass


def construct_event(payload: bytes, signature: str | None) -> dict:
    """The event in a webhook body, after stripe-python's own check of the
    ``Stripe-Signature`` header against STRIPE_WEBHOOK_SECRET (HMAC-SHA256 of
    ``<timestamp>.<body>``, at most five minutes old). Raises BadSignature or
    BadPayload."""
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(str(exc)) from exc
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # A signed body that is not a JSON object (a JSON array, a number...), or one
        # nested deeper than the parser recurses.
        raise BadPayload(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    event = event.to_dict()
    try:
        # Text a database column can hold (no lone surrogate such as "\ud800") and
        # numbers that are numbers (1e400 parses as infinity, NaN as not one).
        json.dumps(event, ensure_ascii=False, allow_nan=False).encode()
    except (UnicodeEncodeError, ValueError, RecursionError) as exc:
        raise BadPayload(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    return event

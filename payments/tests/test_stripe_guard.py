"""A Stripe that does not answer must not take a node's threads: after a call could not
reach it, calls fail fast for STRIPE_RETRY_SECONDS, and only STRIPE_MAX_CONCURRENT_CALLS
threads of a process wait on it at once (payments/gateway.py, ``guard``)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from payments import gateway, services
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout, deliver, only_payment, paid_at_stripe
from testsupport.faultproxy import BLACKHOLE, FaultProxy
from testsupport.testing import run_concurrently

pytestmark = pytest.mark.django_db


@pytest.fixture
def hung_stripe(stripe_on, settings):
    """localstripe behind a proxy that accepts connections and never answers."""
    host, port = stripe_on.url.removeprefix("http://").split(":")
    with FaultProxy((host, int(port)), ports=range(19200, 19300)) as proxy:
        proxy.set_mode(BLACKHOLE)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{proxy.port}"
        settings.STRIPE_CONNECT_TIMEOUT = 1
        settings.STRIPE_TIMEOUT = 1
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield proxy


def test_after_a_timeout_checkouts_answer_503_at_once_without_asking_stripe(
    customer_client, hold, hung_stripe, stripe_on, settings
):
    settings.STRIPE_RETRY_SECONDS = 30

    started = time.monotonic()
    first = checkout(customer_client, hold)
    first_took = time.monotonic() - started
    asked = hung_stripe.accepted
    started = time.monotonic()
    second = checkout(customer_client, hold)
    second_took = time.monotonic() - started

    assert first.status_code == second.status_code == 503
    assert second.json()["code"] == "payment_provider_unavailable"
    assert 29 <= int(second["Retry-After"]) <= 30  # when Stripe will be asked again
    assert first_took >= 0.9  # it waited for its read timeout
    assert second_took < 0.5, second_took
    assert asked >= 1 and hung_stripe.accepted == asked  # the second never reached Stripe
    assert Payment.objects.filter(reservation=hold).count() == 2  # both recorded as failed


def test_once_the_pause_is_over_stripe_is_asked_again(customer_client, hold, hung_stripe, settings):
    settings.STRIPE_RETRY_SECONDS = 0.5
    assert checkout(customer_client, hold).status_code == 503
    asked = hung_stripe.accepted

    time.sleep(0.6)
    assert checkout(customer_client, hold).status_code == 503

    assert hung_stripe.accepted > asked


def test_at_most_the_bulkhead_waits_on_a_hung_stripe_the_others_fail_fast(hung_stripe, settings):
    settings.STRIPE_MAX_CONCURRENT_CALLS = 2
    settings.STRIPE_RETRY_SECONDS = 30

    def retrieve(_):
        started = time.monotonic()
        try:
            gateway.retrieve_intent("pi_anything")
        except gateway.ProviderUnavailable as exc:
            return exc.code, time.monotonic() - started
        return "answered", time.monotonic() - started

    results = run_concurrently(retrieve, 10)

    codes = sorted(code for code, _ in results)
    waited = [took for code, took in results if code != "provider_busy"]
    fast = [took for code, took in results if code == "provider_busy"]
    assert codes.count("provider_busy") == 8, results
    assert len(waited) == 2 and all(took >= 0.9 for took in waited), results
    assert all(took < 0.5 for took in fast), results
    assert hung_stripe.accepted == 2  # only the two let through reached the provider


def test_a_refund_stripe_is_not_asked_for_stays_due_and_sync_makes_it(
    customer_client,
    anon_client,
    hold,
    stripe_on,
    recorder,
    settings,
    django_capture_on_commit_callbacks,
):
    """A cancel while Stripe is paused (or every slot waits on it) does not record the
    refund as failed: it stays due, and sync_payments makes it once Stripe answers."""
    _, delivery = paid_at_stripe(customer_client, hold, stripe_on, recorder)
    assert deliver(anon_client, delivery).status_code == 200
    settings.STRIPE_RETRY_SECONDS = 30
    gateway.guard._paused_until[settings.STRIPE_API_BASE] = time.monotonic() + 30

    with django_capture_on_commit_callbacks(execute=True):
        assert customer_client.delete(f"/api/reservations/{hold.pk}/").status_code == 200

    payment = only_payment(hold)
    assert payment.status == PaymentStatus.REFUND_PENDING
    assert stripe_on.amount_refunded(payment.reference) == 0

    gateway.guard.reset()
    services.payments_sync(older_than=timedelta(0), now=timezone.now() + timedelta(hours=1))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert stripe_on.amount_refunded(payment.reference) == 3000

"""A customer retrying a checkout while Stripe is paused after an outage: every retry
answers 503 with the pause's Retry-After, and the pause records one FAILED payment for
the reservation, not one per retry; a later pause records its own."""

import time

import pytest

from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout
from testsupport.testing import client_for

pytestmark = pytest.mark.django_db


def _pause(settings, seconds: float = 30) -> None:
    gateway.guard._paused_until[settings.STRIPE_API_BASE] = time.monotonic() + seconds


def test_retries_in_one_pause_record_one_failed_payment(hold, customer, stripe_on, settings):
    client = client_for(customer)
    _pause(settings)
    answers = [checkout(client, hold) for _ in range(4)]

    assert [a.status_code for a in answers] == [503] * 4
    assert {a.json()["code"] for a in answers} == {"payment_provider_unavailable"}
    assert all(29 <= int(a["Retry-After"]) <= 30 for a in answers)
    failed = Payment.objects.filter(reservation=hold)
    assert [(p.status, p.reason) for p in failed] == [
        (PaymentStatus.FAILED, "provider_unavailable")
    ]

    _pause(settings, 40)  # Stripe failed again: a new pause
    again = checkout(client, hold)
    assert again.status_code == 503
    assert Payment.objects.filter(reservation=hold, status=PaymentStatus.FAILED).count() == 2


def test_a_retry_of_someone_elses_reservation_is_still_not_found(
    hold, customer, other_customer, stripe_on, settings
):
    _pause(settings)
    assert checkout(client_for(customer), hold).status_code == 503
    stranger = checkout(client_for(other_customer), hold)

    assert stranger.status_code == 404
    assert Payment.objects.filter(reservation=hold).count() == 1

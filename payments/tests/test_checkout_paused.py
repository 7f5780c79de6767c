"""While Stripe is paused after an outage, a checkout is refused under the reservation's
lock alone: a showtime whose row another transaction holds (bookings, a long box-office
sale) does not make it wait, and the failure is recorded as before."""

import threading
import time

import pytest
from django.db import connection, transaction

from cinema.models import Showtime
from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.tests.factories import checkout
from testsupport.testing import client_for, requires_mysql_marks

pytestmark = [*requires_mysql_marks, pytest.mark.django_db(transaction=True)]


def test_a_paused_checkout_answers_while_its_showtime_is_locked(
    hold, customer, stripe_on, settings
):
    gateway.guard.reset()
    gateway.guard._paused_until[settings.STRIPE_API_BASE] = time.monotonic() + 30
    locked, release = threading.Event(), threading.Event()

    def hold_the_showtime_row():
        try:
            with transaction.atomic():
                Showtime.objects.select_for_update().get(pk=hold.showtime_id)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_showtime_row)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        response = checkout(client_for(customer), hold)
        took = time.monotonic() - started
    finally:
        release.set()
        holder.join(15)
        gateway.guard.reset()

    assert response.status_code == 503
    assert response.json()["code"] == "payment_provider_unavailable"
    assert 29 <= int(response["Retry-After"]) <= 30
    assert took < settings.DB_LOCK_WAIT_TIMEOUT / 2, took  # it never waited on the row
    payment = Payment.objects.get(reservation=hold)
    assert payment.status == PaymentStatus.FAILED
    assert payment.reason == "provider_unavailable"

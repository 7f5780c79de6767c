"""Retries of the transactions that lose a lock race (core.locks.retry_on_lock_errors);
the lock budget and stuck locks are in test_resilience.py."""

from unittest import mock

import pytest
from django.db import OperationalError

from core import locks
from core.errors import ServiceBusy

pytestmark = pytest.mark.django_db


def _lock_error():
    return OperationalError(1213, "Deadlock found when trying to get lock")


def test_retry_on_lock_errors_retries_then_succeeds(settings):
    settings.BOOKING_RETRY_ATTEMPTS = 2
    calls = mock.Mock(side_effect=[_lock_error(), _lock_error(), "done"])
    wrapped = locks.retry_on_lock_errors(calls)
    with (
        mock.patch("django.db.transaction.get_connection") as conn,
        mock.patch.object(locks.time, "sleep"),
    ):
        conn.return_value.in_atomic_block = False
        assert wrapped() == "done"
    assert calls.call_count == 3


def test_retry_on_lock_errors_gives_up_with_service_busy(settings):
    settings.BOOKING_RETRY_ATTEMPTS = 2
    calls = mock.Mock(side_effect=_lock_error(), __name__="book")
    wrapped = locks.retry_on_lock_errors(calls)
    with (
        mock.patch("django.db.transaction.get_connection") as conn,
        mock.patch.object(locks.time, "sleep"),
        pytest.raises(ServiceBusy),
    ):
        conn.return_value.in_atomic_block = False
        wrapped()
    assert calls.call_count == 3


def test_retry_on_lock_errors_does_not_retry_inside_an_outer_transaction():
    calls = mock.Mock(side_effect=_lock_error())
    with pytest.raises(OperationalError):
        locks.retry_on_lock_errors(calls)()  # the test runs inside a transaction
    assert calls.call_count == 1


def test_retry_on_lock_errors_passes_other_errors_through():
    calls = mock.Mock(side_effect=OperationalError(2006, "server has gone away"))
    with (
        mock.patch("django.db.transaction.get_connection") as conn,
        pytest.raises(OperationalError),
    ):
        conn.return_value.in_atomic_block = False
        locks.retry_on_lock_errors(calls)()
    assert calls.call_count == 1

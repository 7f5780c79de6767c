"""The outbox worker against a real SMTP server (aiosmtpd): retries, dead messages, a
mail server that is down or hung, and what a crash between "sent" and "marked" does."""

import datetime as dt
import io
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from bookings.tests.factories import book
from cinema.tests.factories import ShowtimeFactory
from notifications import delivery
from notifications.delivery import deliver_due, retry_delay
from notifications.models import OutboxEmail, OutboxStatus
from notifications.services import emails_not_sent
from notifications.testing import Blackhole, SMTPServer, free_port, use_smtp
from testsupport.testing import client_for
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(db):
    return ShowtimeFactory()


def _confirmed(show, count=1, **user):
    """``count`` bookings of one seat each, so as many confirmation emails."""
    seats = list(show.hall.seats.order_by("position")[:count])
    return [book(user=UserFactory(**user), showtime=show, seats=[seat]) for seat in seats]


def test_delivery_mail_server_down_then_up_delivers_once(settings, show):
    server = SMTPServer()  # its port, not listening yet: the server is down
    use_smtp(settings, server.port)
    _confirmed(show)
    start = timezone.now()

    down = deliver_due(now=start)

    assert (down.sent, down.retried, down.mail_server_failed) == (0, 1, True)
    message = OutboxEmail.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.next_attempt_at == start + dt.timedelta(seconds=30)
    assert "Connection refused" in message.last_error or "ConnectionRefused" in message.last_error

    server.start()
    try:
        assert deliver_due(now=start + dt.timedelta(seconds=29)).handled == 0  # not due yet
        up = deliver_due(now=start + dt.timedelta(seconds=30))
        again = deliver_due(now=start + dt.timedelta(hours=1))
    finally:
        server.stop()

    assert (up.sent, again.handled) == (1, 0)
    assert len(server.messages) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 2, "")


def test_delivery_a_failing_server_stops_the_pass(settings, show):
    use_smtp(settings, free_port())  # nothing listens there
    _confirmed(show, count=3)

    result = deliver_due()

    assert (result.retried, result.handled) == (1, 1)
    attempts = sorted(OutboxEmail.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]  # the others keep their turn for the next pass


def test_delivery_backoff_doubles_and_the_message_dies_after_the_last_attempt(
    settings, show, staff_client
):
    settings.EMAIL_MAX_ATTEMPTS = 4
    settings.EMAIL_RETRY_SECONDS = 10
    settings.EMAIL_RETRY_MAX_SECONDS = 25
    use_smtp(settings, free_port())
    _confirmed(show)
    now = timezone.now()
    waits = []
    for _ in range(3):
        deliver_due(now=now)
        message = OutboxEmail.objects.get()
        waits.append((message.next_attempt_at - now).total_seconds())
        now = message.next_attempt_at
    assert waits == [10, 20, 25]
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 9)] == [10, 20, 25, 25]

    result = deliver_due(now=now)

    assert result.dead == 1
    message = OutboxEmail.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.DEAD, 4)
    assert deliver_due(now=now + dt.timedelta(days=1)).handled == 0
    # Staff see it in the admin, with the reason.
    page = staff_client.get("/admin/notifications/outboxemail/", {"status__exact": "dead"})
    assert page.status_code == 200
    assert f">{message.pk}<" in page.content.decode()
    detail = staff_client.get(f"/admin/notifications/outboxemail/{message.pk}/change/")
    assert "Connection refused" in detail.content.decode()
    assert "Your tickets" in detail.content.decode()  # the preview of its text part


def test_delivery_admin_sends_a_dead_message_again(settings, show, staff_client, smtp_server):
    _confirmed(show)
    OutboxEmail.objects.update(status=OutboxStatus.DEAD, attempts=10)

    response = staff_client.post(
        "/admin/notifications/outboxemail/",
        {
            "action": "send_again",
            "_selected_action": list(OutboxEmail.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )

    assert "1 message(s) handed back to the worker" in response.content.decode()
    assert deliver_due().sent == 1
    assert len(smtp_server.messages) == 1


def test_delivery_recipient_refused_for_good_is_dead_at_once(smtp_server, show):
    smtp_server.sink.refuse.add("gone@example.com")
    _confirmed(show, email="gone@example.com")
    other = book(user=UserFactory(), showtime=show, seats=[show.hall.seats.last()])

    result = deliver_due()

    assert (result.dead, result.sent, result.mail_server_failed) == (1, 1, False)
    dead = OutboxEmail.objects.get(status=OutboxStatus.DEAD)
    assert dead.attempts == 1
    assert "550" in dead.last_error
    assert [m["To"] for m in smtp_server.messages] == [other.user.email]


def test_delivery_builder_failure_is_retried_and_the_pass_goes_on(smtp_server, show):
    OutboxEmail.objects.create(kind="reservation_confirmed", context={"reservation": 10**9})
    _confirmed(show)

    result = deliver_due()

    assert (result.retried, result.sent) == (1, 1)
    broken = OutboxEmail.objects.get(status=OutboxStatus.PENDING)
    assert broken.last_error.startswith("building failed: DoesNotExist")


def test_delivery_crash_between_send_and_mark_sends_again_with_the_same_message_id(
    smtp_server, show, monkeypatch
):
    """At least once: the worker dies after the server took the message and before its
    transaction committed; the row is still pending and the next pass sends it again,
    under the same Message-ID."""
    _confirmed(show)

    class Killed(BaseException):
        """Not an Exception: nothing in the worker may catch it, like SIGKILL."""

    original_save = OutboxEmail.save

    def die_when_marking_sent(self, *args, **kwargs):
        if self.status == OutboxStatus.SENT:
            raise Killed
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(OutboxEmail, "save", die_when_marking_sent)
    with pytest.raises(Killed):
        deliver_due()
    monkeypatch.setattr(OutboxEmail, "save", original_save)

    message = OutboxEmail.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert len(smtp_server.messages) == 1

    assert deliver_due().sent == 1
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == f"<{message.token}@marquee.example>"
    assert OutboxEmail.objects.get().status == OutboxStatus.SENT


def test_delivery_a_hung_mail_server_never_touches_a_booking(settings, show):
    """Nothing in the request talks to the mail server: with a server that accepts and
    never answers, the booking is made and not one connection reaches the server; the
    worker then gives up on it after EMAIL_TIMEOUT and retries later."""
    with Blackhole() as hung:
        use_smtp(settings, hung.port, timeout=1)
        seat = show.hall.seats.first()

        response = client_for(UserFactory()).post(
            "/api/reservations/", {"showtime": show.pk, "seats": [seat.pk]}, format="json"
        )

        assert response.status_code == 201
        assert hung.connections == 0
        assert OutboxEmail.objects.get().status == OutboxStatus.PENDING

        started = time.monotonic()
        result = deliver_due()
        assert time.monotonic() - started < 10  # bounded by EMAIL_TIMEOUT, not hung
    assert hung.connections == 1
    assert (result.retried, result.mail_server_failed) == (1, True)
    assert "timed out" in OutboxEmail.objects.get().last_error


def test_delivery_command_once_sends_what_is_due(smtp_server, show):
    _confirmed(show, count=2)
    out = io.StringIO()

    call_command("send_emails", "--once", stdout=out)

    assert "sent 2, retried 0, dead 0, skipped 0" in out.getvalue()
    assert len(smtp_server.messages) == 2


def test_delivery_command_runs_until_stopped(smtp_server, show, monkeypatch):
    _confirmed(show)
    passes = []
    real_pass = delivery.deliver_due

    def counting_pass(**kwargs):
        result = real_pass(**kwargs)
        passes.append(result)
        if len(passes) == 3:
            kwargs["should_stop"].__self__.set()  # stop.is_set -> the Event
        return result

    monkeypatch.setattr("notifications.management.commands.send_emails.deliver_due", counting_pass)
    out = io.StringIO()

    call_command("send_emails", "--interval", "0.01", stdout=out)

    assert [p.sent for p in passes] == [1, 0, 0]
    assert len(smtp_server.messages) == 1
    assert "delivering the outbox every 0.01 s" in out.getvalue()


def test_delivery_skips_what_a_data_load_wrote_as_history(smtp_server, show):
    """Messages written inside emails_not_sent (seed_demo's made-up audience) stay in
    the outbox as skipped, with the reason, and never reach the mail server; the ones
    written after it go as usual."""
    with emails_not_sent("demo data"):
        _confirmed(show, count=2)
    third = show.hall.seats.order_by("position")[2]
    later = book(user=UserFactory(email="real@example.com"), showtime=show, seats=[third])

    deliver_due()

    skipped = OutboxEmail.objects.filter(status=OutboxStatus.SKIPPED)
    assert skipped.count() == 2
    assert set(skipped.values_list("last_error", flat=True)) == {"demo data"}
    assert [message["To"] for message in smtp_server.messages] == ["real@example.com"]
    assert OutboxEmail.objects.get(context__reservation=later.pk).status == OutboxStatus.SENT

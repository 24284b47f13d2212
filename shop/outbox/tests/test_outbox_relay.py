"""Relay guarantees: nothing lost on a crash, order kept per aggregate, no
double publishing by concurrent relays."""

import json
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from shop.conftest import receive_all
from shop.outbox.events import event_record
from shop.outbox.models import OutboxEvent
from shop.outbox.publishers import SQSPublisher
from shop.outbox.relay import backoff_delay, events_relay


class RelayKilled(BaseException):
    """Stands for the process dying (SIGKILL, OOM): nothing below catches it."""


def crash_after_send_publisher():
    """Publisher factory (ORDER_EVENTS_PUBLISHER) that dies after a real send."""
    real = SQSPublisher(settings.ORDER_EVENTS_QUEUE_URL)

    class CrashAfterSend:
        def publish(self, event):
            real.publish(event)
            raise RelayKilled("relay died before marking the event published")

    return CrashAfterSend()


class RecordingPublisher:
    """An in-process target that remembers what it accepted, in order."""

    def __init__(self, fail_ids=(), delay=0.0):
        self.fail_ids = set(fail_ids)
        self.delay = delay
        self.accepted: list[OutboxEvent] = []
        self.by_thread: set[int] = set()
        self._lock = threading.Lock()

    def publish(self, event):
        if event.id in self.fail_ids:
            raise ConnectionError("target refused the message")
        if self.delay:
            threading.Event().wait(self.delay)
        with self._lock:
            self.accepted.append(event)
            self.by_thread.add(threading.get_ident())


def record(aggregate_id, type="order.status_changed"):
    with transaction.atomic():
        return event_record(
            type=type,
            aggregate_type="order",
            aggregate_id=aggregate_id,
            payload={"order_id": aggregate_id},
        )


@pytest.mark.django_db(transaction=True)
def test_crash_between_publish_and_mark_resends_the_event(settings, sqs, queue_url):
    settings.ORDER_EVENTS_QUEUE_URL = queue_url
    event = record(1, type="order.placed")

    settings.ORDER_EVENTS_PUBLISHER = (
        "shop.outbox.tests.test_outbox_relay.crash_after_send_publisher"
    )
    with pytest.raises(RelayKilled):
        call_command("relay_events")
    event.refresh_from_db()
    assert event.published_at is None

    settings.ORDER_EVENTS_PUBLISHER = ""
    call_command("relay_events", stdout=open("/dev/null", "w"))

    event.refresh_from_db()
    assert event.published_at is not None
    # Delivered twice with one id: at-least-once, consumers de-duplicate by id.
    ids = [json.loads(m["Body"])["id"] for m in receive_all(sqs, queue_url, 2)]
    assert ids == [str(event.id), str(event.id)]


@pytest.mark.django_db
def test_failed_event_holds_back_later_events_of_its_order_only():
    a1, b1 = record("A"), record("B")
    a2 = record("A")
    a3, b2 = record("A"), record("B")
    publisher = RecordingPublisher(fail_ids={a2.id})

    result = events_relay(publisher=publisher)

    assert [e.id for e in publisher.accepted] == [a1.id, b1.id, b2.id]
    assert (result.published, result.failed, result.held_back) == (3, 1, 1)
    a2.refresh_from_db()
    assert a2.attempts == 1
    assert a2.next_attempt_at > timezone.now()
    assert "target refused" in a2.last_error

    # While a2 backs off, a3 stays queued even though the target works again.
    publisher = RecordingPublisher()
    assert events_relay(publisher=publisher).published == 0
    assert publisher.accepted == []

    OutboxEvent.objects.filter(pk=a2.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    events_relay(publisher=publisher)

    assert [e.id for e in publisher.accepted] == [a2.id, a3.id]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db
def test_one_shot_command_fails_when_an_event_could_not_be_published(settings, sqs):
    settings.ORDER_EVENTS_QUEUE_URL = (
        settings.AWS_ENDPOINT_URL + "/123456789012/no-such-queue"
    )
    event = record(9)

    with pytest.raises(CommandError, match="1 failed"):
        call_command("relay_events")

    event.refresh_from_db()
    assert event.published_at is None
    assert event.attempts == 1


def test_backoff_doubles_up_to_the_cap(settings):
    settings.OUTBOX_MAX_BACKOFF_SECONDS = 60
    assert [backoff_delay(n).total_seconds() for n in range(1, 6)] == [
        5,
        10,
        20,
        40,
        60,
    ]


@pytest.mark.django_db
def test_batch_size_bounds_each_pass_and_the_command_drains_the_outbox(
    settings, sqs, queue_url
):
    settings.ORDER_EVENTS_QUEUE_URL = queue_url
    for n in range(7):
        record(n)

    assert events_relay(publisher=RecordingPublisher(), batch_size=3).published == 3
    call_command("relay_events", "--batch-size", "2", stdout=open("/dev/null", "w"))

    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert len(receive_all(sqs, queue_url, 4)) == 4


@pytest.mark.django_db(transaction=True)
def test_parallel_relays_publish_every_event_exactly_once_in_order():
    if connection.vendor != "postgresql":
        pytest.skip("row locking with SKIP LOCKED needs PostgreSQL")
    aggregates = [f"order-{n}" for n in range(10)]
    recorded = [record(aggregates[n % 10]) for n in range(120)]
    publisher = RecordingPublisher(delay=0.002)
    start = threading.Barrier(2)
    errors = []

    def relay():
        try:
            start.wait()
            for _ in range(1000):
                if events_relay(publisher=publisher, batch_size=7).selected == 0:
                    break
        except Exception as exc:  # surfaced below, threads swallow them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(publisher.by_thread) == 2, "both relays should have taken work"
    published_ids = [e.id for e in publisher.accepted]
    assert sorted(published_ids) == sorted(e.id for e in recorded)
    for aggregate in aggregates:
        expected = [e.id for e in recorded if e.aggregate_id == aggregate]
        assert [e.id for e in publisher.accepted if e.aggregate_id == aggregate] == (
            expected
        )
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()

"""Delivery guarantees: nothing lost on a crash, each side effect once, order
kept per aggregate for publication, retries backing off until failed."""

import json
import logging
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from shop.core.testing import receive_all
from shop.outbox import publication
from shop.outbox.events import event_record
from shop.outbox.handlers import handler_register
from shop.outbox.models import Delivery, OutboxEvent
from shop.outbox.publishers import SQSPublisher
from shop.outbox.services import (
    Outcome,
    backoff_delay,
    deliveries_retry,
    deliveries_run_due,
    deliveries_sweep,
    delivery_run,
    outbox_prune,
)

PUBLISH = publication.HANDLER


class WorkerKilled(BaseException):
    """Stands for the process dying (SIGKILL, OOM): nothing below catches it."""


class RecordingPublisher:
    """An in-process target that remembers what it accepted, in order."""

    def __init__(self):
        self.fail_ids: set = set()
        self.delay = 0.0
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


_recorder = RecordingPublisher()


def recording_publisher():
    return _recorder


def crash_after_send_publisher():
    real = SQSPublisher(settings.ORDER_EVENTS_QUEUE_URL)

    class CrashAfterSend:
        def publish(self, event):
            real.publish(event)
            raise WorkerKilled("worker died before marking the delivery done")

    return CrashAfterSend()


@pytest.fixture
def publisher(settings):
    global _recorder
    _recorder = RecordingPublisher()
    publication._publisher.cache_clear()
    settings.ORDER_EVENTS_PUBLISHER = f"{__name__}.recording_publisher"
    yield _recorder
    publication._publisher.cache_clear()


# A side effect of its own for "test.*" events, independent of publication.
side_effects: list[str] = []
side_effect_fails = threading.Event()


@handler_register("tests.side_effect", event_types={"test.mail"})
def _side_effect(delivery):
    if side_effect_fails.is_set():
        raise ConnectionRefusedError("mail server down")
    side_effects.append(str(delivery.event_id))


@pytest.fixture(autouse=True)
def _reset_side_effects():
    side_effects.clear()
    side_effect_fails.clear()
    yield
    side_effect_fails.clear()


def record(aggregate_id, type="test.changed"):
    with transaction.atomic():
        return event_record(
            type=type,
            aggregate_type="thing",
            aggregate_id=aggregate_id,
            payload={"thing_id": aggregate_id},
        )


def publication_of(event) -> Delivery:
    return Delivery.objects.get(event=event, handler=PUBLISH)


def make_due(*deliveries_or_events):
    Delivery.objects.filter(state=Delivery.State.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db(transaction=True)
def test_crash_between_publish_and_mark_publishes_again(settings, sqs, queue_url):
    settings.ORDER_EVENTS_QUEUE_URL = queue_url
    settings.ORDER_EVENTS_PUBLISHER = f"{__name__}.crash_after_send_publisher"
    publication._publisher.cache_clear()

    # No broker in the test settings: the delivery runs in process after the
    # commit, and "dies" there.
    with pytest.raises(WorkerKilled):
        record(1)
    event = OutboxEvent.objects.get()
    delivery = publication_of(event)
    # Rolled back with the "transaction" of the dead worker: still to do.
    assert (delivery.state, delivery.attempts) == (Delivery.State.PENDING, 0)

    settings.ORDER_EVENTS_PUBLISHER = ""
    assert delivery_run(delivery_id=delivery.pk) == Outcome.DONE

    event.refresh_from_db()
    assert event.published_at is not None
    # Delivered twice with one id: at-least-once, consumers de-duplicate by id.
    ids = [json.loads(m["Body"])["id"] for m in receive_all(sqs, queue_url, 2)]
    assert ids == [str(event.id), str(event.id)]
    publication._publisher.cache_clear()


@pytest.mark.django_db
def test_a_done_delivery_is_never_run_again(publisher):
    delivery = publication_of(record(1))

    assert delivery_run(delivery_id=delivery.pk) == Outcome.DONE
    assert delivery_run(delivery_id=delivery.pk) == Outcome.SKIPPED

    assert len(publisher.accepted) == 1


@pytest.mark.django_db
def test_failed_publication_holds_back_later_events_of_its_aggregate_only(publisher):
    a1, b1 = record("A"), record("B")
    a2 = record("A")
    a3, b2 = record("A"), record("B")
    publisher.fail_ids = {a2.id}

    result = deliveries_run_due(handler=PUBLISH)

    assert [e.id for e in publisher.accepted] == [a1.id, b1.id, b2.id]
    assert (result.count(Outcome.DONE), result.count(Outcome.RETRY)) == (3, 1)
    assert result.count(Outcome.HELD) == 1
    failed = publication_of(a2)
    assert failed.attempts == 1
    assert failed.next_attempt_at > timezone.now()
    assert "target refused" in failed.last_error

    # While a2 backs off, a3 stays queued even though the target works again.
    publisher.fail_ids = set()
    make_due()
    Delivery.objects.filter(pk=failed.pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    assert delivery_run(delivery_id=publication_of(a3).pk) == Outcome.HELD
    assert [e.id for e in publisher.accepted] == [a1.id, b1.id, b2.id]

    make_due()
    deliveries_run_due(handler=PUBLISH)

    assert [e.id for e in publisher.accepted][3:] == [a2.id, a3.id]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_failing_side_effect_does_not_hold_back_publication(publisher):
    side_effect_fails.set()
    event = record(1, type="test.mail")

    deliveries_run_due()

    assert [e.id for e in publisher.accepted] == [event.id]
    mail = Delivery.objects.get(event=event, handler="tests.side_effect")
    assert (mail.state, mail.attempts) == (Delivery.State.PENDING, 1)
    assert publication_of(event).state == Delivery.State.DONE


@pytest.mark.django_db
def test_last_attempt_marks_the_delivery_failed_and_logs_an_error(settings, caplog):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    side_effect_fails.set()
    delivery = Delivery.objects.get(event=record(1, type="test.mail"))

    with caplog.at_level(logging.WARNING, logger="shop.outbox.services"):
        for _ in range(3):
            make_due()
            delivery_run(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.FAILED, 3)
    assert "mail server down" in delivery.last_error
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "ERROR"]
    # Failed is final for the workers and the sweep ...
    assert delivery_run(delivery_id=delivery.pk) == Outcome.SKIPPED

    # ... until staff retry it: pending again, a fresh set of attempts, queued.
    side_effect_fails.clear()
    with transaction.atomic():
        assert deliveries_retry(ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.PENDING, 0)
    assert delivery_run(delivery_id=delivery.pk) == Outcome.DONE
    assert side_effects == [str(delivery.event_id)]


def test_backoff_doubles_with_jitter_up_to_the_cap(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 5
    settings.OUTBOX_MAX_BACKOFF_SECONDS = 60
    for attempts, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (9, 60)]:
        delays = {backoff_delay(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, delays)
        assert len(delays) > 1, "jitter spreads retries that failed together"


@pytest.mark.django_db
def test_sweep_runs_only_due_deliveries_past_their_own_nudge(
    publisher, django_capture_on_commit_callbacks
):
    fresh, old, later = record(1), record(2), record(3)
    Delivery.objects.filter(event=old).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    Delivery.objects.filter(event=later).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )

    # No broker in the test settings: the nudged tasks run in process.
    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_sweep() == 1

    assert [e.id for e in publisher.accepted] == [old.id]
    assert publication_of(fresh).state == Delivery.State.PENDING


@pytest.mark.django_db
def test_prune_deletes_old_finished_events_and_keeps_unfinished_ones(publisher):
    done_old, failed_old, pending_old, done_new = (record(n) for n in range(4))
    Delivery.objects.filter(event__in=[done_old, done_new]).update(
        state=Delivery.State.DONE
    )
    Delivery.objects.filter(event=failed_old).update(state=Delivery.State.FAILED)
    OutboxEvent.objects.exclude(pk=done_new.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )

    assert outbox_prune(older_than=timedelta(days=30), dry_run=True) == 1
    call_command(
        "prune_outbox", "--older-than-days", "30", stdout=open("/dev/null", "w")
    )

    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {
        failed_old.pk,
        pending_old.pk,
        done_new.pk,
    }
    assert not Delivery.objects.filter(event_id=done_old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_publish_every_event_exactly_once_in_order(
    publisher, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("row locking with SKIP LOCKED needs PostgreSQL")
    # Nudges lost (as with the broker down): the threads below do all the work.
    monkeypatch.setattr("shop.outbox.services.deliveries_nudge", lambda **kw: 0)
    aggregates = [f"thing-{n}" for n in range(10)]
    recorded = [record(aggregates[n % 10]) for n in range(60)]
    ids = list(
        Delivery.objects.order_by("?").values_list("pk", flat=True)
    )  # nudges arrive in any order
    publisher.delay = 0.002
    start = threading.Barrier(3)
    errors = []

    def worker():
        try:
            start.wait()
            for _ in range(200):
                make_due()
                for delivery_id in ids:
                    delivery_run(delivery_id=delivery_id)
                if not Delivery.objects.exclude(state=Delivery.State.DONE).exists():
                    break
        except Exception as exc:  # surfaced below, threads swallow them
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(publisher.by_thread) >= 2, "several workers should have taken work"
    assert sorted(e.id for e in publisher.accepted) == sorted(e.id for e in recorded)
    for aggregate in aggregates:
        expected = [e.id for e in recorded if e.aggregate_id == aggregate]
        assert [e.id for e in publisher.accepted if e.aggregate_id == aggregate] == (
            expected
        )
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()

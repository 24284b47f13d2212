"""Run outbox deliveries: each side effect once, retried, in order where asked.

A delivery runs in one transaction that holds its row lock: the side effect
happens, then the row is marked done in the same commit. A second worker
(duplicate nudge, the sweep) skips the locked row; a worker that dies lets
the lock go with its connection and the delivery stays pending, so the
redelivered task or the sweep runs it again. The one window left: the side
effect completed (the SMTP server said 250) and the process died before the
commit, so it happens a second time (docs/background.md).
"""

import logging
import os
import queue
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .handlers import handler_get
from .metrics import DELIVERY_FAILURES
from .models import Delivery, OutboxEvent

logger = logging.getLogger(__name__)

# How long an ordered delivery waits before it looks again at the earlier
# event it is queued behind (that event's success also nudges it at once).
HOLD_SECONDS = 1.0
# Due deliveries younger than this still have their own nudge in flight.
SWEEP_GRACE = timedelta(seconds=5)


class Outcome(StrEnum):
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"
    HELD = "held"
    SKIPPED = "skipped"


def backoff_delay(attempts: int) -> timedelta:
    """Back-off after `attempts` failures: doubling from the base up to the
    cap, with jitter (the upper half of the interval at random) so deliveries
    that failed together do not retry together."""
    base = settings.OUTBOX_BACKOFF_BASE_SECONDS
    cap = settings.OUTBOX_MAX_BACKOFF_SECONDS
    seconds = min(cap, base * 2 ** min(max(attempts - 1, 0), 30))
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))  # noqa: S311


def _locked(delivery_id: int) -> Delivery | None:
    deliveries = Delivery.objects.select_related("event").filter(
        pk=delivery_id, state=Delivery.State.PENDING
    )
    if connection.features.has_select_for_update_skip_locked:
        # Another worker holding the row is running it right now: leave it.
        deliveries = deliveries.select_for_update(skip_locked=True, of=("self",))
    return deliveries.first()


def _earlier_unfinished(delivery: Delivery) -> bool:
    event = delivery.event
    return (
        Delivery.objects.filter(
            handler=delivery.handler,
            event__aggregate_type=event.aggregate_type,
            event__aggregate_id=event.aggregate_id,
        )
        .filter(
            Q(event__created_at__lt=event.created_at)
            | Q(event__created_at=event.created_at, event_id__lt=event.id)
        )
        .exclude(state=Delivery.State.DONE)
        .exists()
    )


def _next_in_line(delivery: Delivery) -> list[int]:
    event = delivery.event
    following = (
        Delivery.objects.filter(
            handler=delivery.handler,
            state=Delivery.State.PENDING,
            event__aggregate_type=event.aggregate_type,
            event__aggregate_id=event.aggregate_id,
            event__created_at__gte=event.created_at,
        )
        .exclude(pk=delivery.pk)
        .order_by("event__created_at", "event_id")
        .values_list("pk", flat=True)[:1]
    )
    return list(following)


def delivery_run(*, delivery_id: int) -> Outcome:
    """Run one due delivery unless it is done, failed or running elsewhere."""
    with transaction.atomic():
        delivery = _locked(delivery_id)
        now = timezone.now()
        if delivery is None:
            return Outcome.SKIPPED
        if delivery.next_attempt_at > now + timedelta(seconds=1):
            # A stale nudge for a delivery that is backing off.
            return Outcome.SKIPPED
        handler = handler_get(delivery.handler)
        if handler is not None and handler.ordered and _earlier_unfinished(delivery):
            delivery.next_attempt_at = now + timedelta(seconds=HOLD_SECONDS)
            delivery.updated_at = now
            delivery.save(update_fields=["next_attempt_at", "updated_at"])
            _nudge_after_commit([delivery.pk], countdown=HOLD_SECONDS)
            return Outcome.HELD
        delivery.attempts += 1
        try:
            if handler is None:
                raise LookupError(f"no outbox handler named {delivery.handler!r}")
            # A savepoint, so a handler's database error leaves this
            # transaction usable for recording the failure.
            with transaction.atomic():
                handler.run(delivery)
        except Exception as exc:
            return _failure_record(delivery, exc)
        delivery.state = Delivery.State.DONE
        delivery.done_at = delivery.updated_at = timezone.now()
        delivery.last_error = ""
        delivery.save(
            update_fields=["state", "attempts", "done_at", "updated_at", "last_error"]
        )
        if handler.ordered:
            _nudge_after_commit(_next_in_line(delivery))
    return Outcome.DONE


def _failure_record(delivery: Delivery, exc: Exception) -> Outcome:
    DELIVERY_FAILURES.labels(delivery.handler).inc()
    now = timezone.now()
    delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    delivery.updated_at = now
    if delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        delivery.state = Delivery.State.FAILED
        outcome = Outcome.FAILED
        logger.error(
            "outbox delivery %s (%s, event %s %s) failed for good after %d "
            "attempts: %s",
            delivery.pk,
            delivery.handler,
            delivery.event.type,
            delivery.event_id,
            delivery.attempts,
            delivery.last_error,
        )
    else:
        delay = backoff_delay(delivery.attempts)
        delivery.next_attempt_at = now + delay
        outcome = Outcome.RETRY
        logger.warning(
            "outbox delivery %s (%s, event %s) failed, attempt %d, retry at %s: %s",
            delivery.pk,
            delivery.handler,
            delivery.event_id,
            delivery.attempts,
            delivery.next_attempt_at.isoformat(),
            delivery.last_error,
        )
        _nudge_after_commit([delivery.pk], countdown=delay.total_seconds())
    delivery.save(
        update_fields=[
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "updated_at",
        ]
    )
    return outcome


def _nudge_after_commit(ids: list[int], *, countdown: float | None = None) -> None:
    if ids:
        transaction.on_commit(
            lambda: deliveries_nudge(ids=ids, countdown=countdown), robust=True
        )


# Delivery ids per worker message: one message carries a transaction's
# deliveries (or a sweep's, in chunks), not one message per delivery.
NUDGE_CHUNK = 100


def deliveries_nudge(
    *, ids: Sequence[int], countdown: float | None = None, expires: float | None = None
) -> int:
    """Queue the deliveries for the workers, a message per NUDGE_CHUNK ids.

    A broker outage is logged and left to the sweep. Never raises: it runs
    after the commit of a request that already succeeded. Returns how many
    deliveries were queued.
    """
    from .tasks import deliveries_run as deliveries_run_task

    if countdown and deliveries_run_task.app.conf.task_always_eager:
        # No broker (embedded default): a delayed retry would run at once and
        # recurse; the delivery stays pending for `relay_events` or the sweep.
        return 0
    ids = list(ids)
    queued = 0
    for start in range(0, len(ids), NUDGE_CHUNK):
        chunk = ids[start : start + NUDGE_CHUNK]
        try:
            deliveries_run_task.apply_async(
                (chunk,), countdown=countdown, expires=expires, retry=False
            )
        except Exception as exc:
            logger.warning(
                "could not queue outbox deliveries %s, the sweep will run them: %s: %s",
                ids[queued:],
                type(exc).__name__,
                exc,
            )
            break
        queued += len(chunk)
    return queued


class _NudgeSender:
    """Sends the nudges of committed transactions from a thread of this process.

    A request only hands its delivery ids over (no broker round trip, no
    Celery message built in the request); the thread sends whatever has
    piled up as one message, so under load many transactions share a
    message and when idle each goes out at once. Ids still queued when the
    process dies are lost like any nudge: the sweep runs their deliveries.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.SimpleQueue[list[int]] = queue.SimpleQueue()

    def put(self, ids: list[int]) -> None:
        if self._pid != os.getpid():
            # First use in this process (a forked worker inherits no thread).
            with self._lock:
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()
                    threading.Thread(
                        target=self._run,
                        args=(self._queue,),
                        name="outbox-nudges",
                        daemon=True,
                    ).start()
                    self._pid = os.getpid()
        self._queue.put(ids)

    @staticmethod
    def _run(pending: queue.SimpleQueue) -> None:
        while True:
            ids = list(pending.get())
            while True:
                try:
                    ids.extend(pending.get_nowait())
                except queue.Empty:
                    break
            try:
                deliveries_nudge(ids=ids)
            except Exception:  # never let the sender die; the sweep covers
                logger.exception("outbox nudge sender failed for %s", ids)


_sender = _NudgeSender()


def deliveries_nudge_later(*, ids: Sequence[int]) -> None:
    """Nudge the workers for committed deliveries without waiting for the broker.

    Without a broker (tasks run eagerly) the deliveries run here and now, as
    `deliveries_nudge` does.
    """
    from .tasks import deliveries_run as deliveries_run_task

    if deliveries_run_task.app.conf.task_always_eager:
        deliveries_nudge(ids=ids)
    elif ids:
        _sender.put(list(ids))


def deliveries_due(
    *, before: datetime | None = None, handler: str | None = None, limit: int = 500
) -> list[int]:
    """Ids of pending deliveries due by `before`, oldest event first."""
    due = Delivery.objects.filter(
        state=Delivery.State.PENDING,
        next_attempt_at__lte=before or timezone.now(),
    )
    if handler:
        due = due.filter(handler=handler)
    return list(
        due.order_by("event__created_at", "event_id", "pk").values_list(
            "pk", flat=True
        )[:limit]
    )


def deliveries_sweep(*, limit: int = 500) -> int:
    """Nudge due deliveries whose own nudge was lost (broker down at commit)."""
    ids = deliveries_due(before=timezone.now() - SWEEP_GRACE, limit=limit)
    # Expiring with the next sweep keeps a stopped worker's queue from
    # filling with copies of the same nudges.
    return deliveries_nudge(ids=ids, expires=settings.OUTBOX_SWEEP_SECONDS)


@dataclass
class PassResult:
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return self.outcomes.get(outcome, 0)


def deliveries_run_due(*, handler: str | None = None, limit: int = 1000) -> PassResult:
    """Run every due delivery in this process, oldest event first (one pass)."""
    result = PassResult()
    for delivery_id in deliveries_due(handler=handler, limit=limit):
        outcome = delivery_run(delivery_id=delivery_id)
        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    return result


def deliveries_retry(*, ids: Sequence[int]) -> int:
    """Set failed or pending deliveries back to pending, due now, and queue them."""
    now = timezone.now()
    with transaction.atomic():
        retried = list(
            Delivery.objects.filter(pk__in=ids)
            .exclude(state=Delivery.State.DONE)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=retried).update(
            state=Delivery.State.PENDING,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
        _nudge_after_commit(retried)
    return len(retried)


def outbox_prune(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete events older than `older_than` whose deliveries are all done.

    Their done deliveries (the record that a mail was sent) go with them;
    events with a pending or failed delivery stay. Returns the event count.
    """
    cutoff = timezone.now() - older_than
    finished = OutboxEvent.objects.filter(created_at__lt=cutoff).exclude(
        deliveries__state__in=[Delivery.State.PENDING, Delivery.State.FAILED]
    )
    if dry_run:
        return finished.count()
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                finished.order_by("created_at").values_list("pk", flat=True)[:2000]
            )
            if not batch:
                return deleted
            Delivery.objects.filter(event_id__in=batch).delete()
            OutboxEvent.objects.filter(pk__in=batch).delete()
        deleted += len(batch)

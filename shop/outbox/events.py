"""Record domain events in the transactional outbox.

Call `event_record` inside the transaction that makes the change, so the event
row and its deliveries commit or roll back with it: no event without the
change, no change without its event. After the commit, workers are nudged.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from shop.core.db import InsertBatch, instances_insert

from .handlers import handlers_for
from .models import Delivery, OutboxEvent

SCHEMA_VERSION = 1

_clock_lock = threading.Lock()
_last_created_at: datetime | None = None
# Per thread: the deliveries of a `nudges_batched()` block, nudged together.
_batches = threading.local()


def _monotonic_now() -> datetime:
    # Two events of one transaction may be recorded within the same
    # microsecond; nudging the clock keeps (created_at, id) in recording order.
    global _last_created_at
    with _clock_lock:
        now = timezone.now()
        if _last_created_at is not None and now <= _last_created_at:
            now = _last_created_at + timedelta(microseconds=1)
        _last_created_at = now
        return now


@contextmanager
def nudges_batched() -> Iterator[None]:
    """Nudge the workers once for every event recorded in the block.

    Use it inside the transaction, around several `event_record` calls: their
    deliveries go to the workers in one message after the commit instead of
    one message per event. Nothing is nudged if the block raises.
    """
    stack = _batches.__dict__.setdefault("stack", [])
    stack.append([])
    try:
        yield
    finally:
        deliveries = stack.pop()
    if deliveries:
        _nudge_on_commit(deliveries)


def _nudge_on_commit(deliveries: list[Delivery]) -> None:
    from .services import deliveries_nudge_later

    # Only a nudge, sent by a thread of this process so that the request does
    # not wait for the broker: if the broker is down it is logged and the
    # sweep finds the deliveries later. The pks are read at commit time: an
    # InsertBatch may number the rows after this.
    transaction.on_commit(
        lambda: deliveries_nudge_later(ids=[d.pk for d in deliveries]), robust=True
    )


def event_record(
    *,
    type: str,
    aggregate_type: str,
    aggregate_id: object,
    payload: dict,
    batch: InsertBatch | None = None,
) -> OutboxEvent:
    """Add an event and its deliveries to the caller's open transaction.

    With `batch`, the rows are added to it and written when the caller runs
    it (still inside the transaction); the workers are nudged after the
    commit either way.
    """
    if not connection.in_atomic_block:
        raise RuntimeError(
            "event_record() must run inside the transaction.atomic() block that "
            "makes the change the event describes."
        )
    body = {"schema_version": SCHEMA_VERSION, **payload}
    now = _monotonic_now()
    event = OutboxEvent(
        type=type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=body,
        created_at=now,
    )
    deliveries = [
        Delivery(
            event=event,
            handler=handler.name,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        for handler in handlers_for(event)
    ]
    if batch is not None:
        batch.add([event])
        batch.add(deliveries)
    else:
        # One per order placed: skip compiling an ORM INSERT every time.
        instances_insert([event])
        instances_insert(deliveries)
    if deliveries:
        stack = getattr(_batches, "stack", None)
        if stack:
            stack[-1].extend(deliveries)
        else:
            _nudge_on_commit(deliveries)
    return event

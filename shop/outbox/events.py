"""Record domain events in the transactional outbox.

Call `event_record` inside the transaction that makes the change, so the event
row and its deliveries commit or roll back with it: no event without the
change, no change without its event. After the commit, workers are nudged.
"""

import threading
from datetime import datetime, timedelta
from functools import partial

from django.db import connection, transaction
from django.utils import timezone

from shop.core.db import instances_insert

from .handlers import handlers_for
from .models import Delivery, OutboxEvent

SCHEMA_VERSION = 1

_clock_lock = threading.Lock()
_last_created_at: datetime | None = None


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


def event_record(
    *, type: str, aggregate_type: str, aggregate_id: object, payload: dict
) -> OutboxEvent:
    """Add an event and its deliveries to the caller's open transaction."""
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
    # One per order placed: skip compiling an ORM INSERT every time.
    instances_insert([event])
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
    if deliveries:
        instances_insert(deliveries)
        from .services import deliveries_nudge

        # Only a nudge: if the broker is down it is logged and the sweep
        # finds the deliveries later; robust, so nothing reaches the caller.
        transaction.on_commit(
            partial(deliveries_nudge, ids=[d.pk for d in deliveries]), robust=True
        )
    return event

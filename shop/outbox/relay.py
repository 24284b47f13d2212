"""Publish outbox events: in order per aggregate, at least once, never lost."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import OutboxEvent
from .publishers import Publisher

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5


@dataclass
class RelayResult:
    published: int = 0
    failed: int = 0
    held_back: int = 0
    selected: int = 0


def backoff_delay(attempts: int) -> timedelta:
    """Exponential back-off: 5 s, 10 s, 20 s, ... capped by the setting."""
    cap = settings.OUTBOX_MAX_BACKOFF_SECONDS
    seconds = BACKOFF_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    return timedelta(seconds=min(seconds, cap))


def _earlier_of_same_aggregate() -> Q:
    return (
        Q(aggregate_type=OuterRef("aggregate_type"))
        & Q(aggregate_id=OuterRef("aggregate_id"))
        & (
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
        )
    )


def _due_events(now: datetime) -> QuerySet[OutboxEvent]:
    # An event waits while an earlier event of its aggregate is backing off;
    # filtering that out in SQL keeps one stuck order from filling every batch.
    earlier_backing_off = OutboxEvent.objects.filter(
        _earlier_of_same_aggregate(),
        published_at__isnull=True,
        next_attempt_at__gt=now,
    )
    events = (
        OutboxEvent.objects.filter(published_at__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .exclude(Exists(earlier_backing_off))
        .order_by("created_at", "id")
    )
    if connection.features.has_select_for_update_skip_locked:
        # Concurrent relays split the work instead of publishing a row twice.
        events = events.select_for_update(skip_locked=True)
    return events


def _aggregates_held_back(batch: list[OutboxEvent]) -> set[tuple[str, str]]:
    """Aggregates with an unpublished event earlier than this batch's first.

    Such an event is locked by another relay (or was committed after we
    looked); publishing later events first would reorder the aggregate.
    """
    first: dict[tuple[str, str], tuple] = {}
    for event in batch:
        first.setdefault(event.aggregate_key, (event.created_at, event.id))
    batch_ids = [event.id for event in batch]
    others = (
        OutboxEvent.objects.filter(
            published_at__isnull=True,
            aggregate_id__in={key[1] for key in first},
        )
        .exclude(id__in=batch_ids)
        .values_list("aggregate_type", "aggregate_id", "created_at", "id")
    )
    held = set()
    for aggregate_type, aggregate_id, created_at, event_id in others:
        key = (aggregate_type, aggregate_id)
        if key in first and (created_at, event_id) < first[key]:
            held.add(key)
    return held


def events_relay(*, publisher: Publisher, batch_size: int = 100) -> RelayResult:
    """Publish one batch of due events, oldest first, and mark them published.

    The batch runs in one transaction holding its rows' locks: if the process
    dies after a publish but before the commit, the events stay unpublished
    and are sent again (at-least-once). A failed event backs off and every
    later event of the same aggregate waits for it.
    """
    result = RelayResult()
    with transaction.atomic():
        batch = list(_due_events(timezone.now())[:batch_size])
        result.selected = len(batch)
        if not batch:
            return result
        blocked = _aggregates_held_back(batch)
        for event in batch:
            if event.aggregate_key in blocked:
                result.held_back += 1
                continue
            event.attempts += 1
            try:
                publisher.publish(event)
            except Exception as exc:
                blocked.add(event.aggregate_key)
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                event.next_attempt_at = timezone.now() + backoff_delay(event.attempts)
                event.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                result.failed += 1
                logger.warning(
                    "outbox event %s (%s) failed, attempt %d, retry at %s: %s",
                    event.id,
                    event.type,
                    event.attempts,
                    event.next_attempt_at.isoformat(),
                    event.last_error,
                )
                continue
            event.published_at = timezone.now()
            event.next_attempt_at = None
            event.save(update_fields=["attempts", "published_at", "next_attempt_at"])
            result.published += 1
    return result

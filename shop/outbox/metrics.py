"""The outbox's metrics (shop.core.metrics says how apps add theirs).

Counters are incremented where the failure happens, in whichever process runs
the delivery or task. The backlog gauges are read from the database at scrape
time by `OutboxCollector`, registered from `OutboxConfig.ready()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from celery import Task
from celery.signals import task_failure
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Counter, Metric
from prometheus_client.core import GaugeMetricFamily

from shop.core.metrics import register_collector

from .models import Delivery

logger = logging.getLogger(__name__)

DELIVERY_FAILURES = Counter(
    "shop_outbox_delivery_failures",
    "Outbox delivery attempts that failed (each retry counts), by handler.",
    ["handler"],
)
TASK_FAILURES = Counter(
    "shop_task_failures",
    "Celery tasks that raised, by task name.",
    ["task"],
)


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "shop_outbox_backlog",
            "Pending outbox deliveries (due or backing off), by handler.",
            labels=["handler"],
        ),
        GaugeMetricFamily(
            "shop_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox delivery (0 when none is pending).",
        ),
        GaugeMetricFamily(
            "shop_outbox_failed_deliveries",
            "Outbox deliveries marked failed after their last attempt, by handler.",
            labels=["handler"],
        ),
    )


class OutboxCollector:
    """Backlog, oldest pending age and failed deliveries, read at each scrape.

    One GROUP BY over the open (pending or failed) deliveries, answered from
    the partial index `outbox_delivery_open` alone: done deliveries, the bulk
    of the table, are not in it.
    """

    def describe(self) -> Iterator[Metric]:
        # Names for the registry without touching the database.
        yield from _families()

    def collect(self) -> Iterator[Metric]:
        backlog, oldest_age, failed = _families()
        try:
            rows = list(
                Delivery.objects.filter(
                    state__in=[Delivery.State.PENDING, Delivery.State.FAILED]
                )
                .order_by()
                .values_list("state", "handler")
                .annotate(count=Count("*"), oldest=Min("created_at"))
            )
        except Exception as exc:
            # A scrape still serves every other series; /health/ready is
            # where a database outage shows.
            logger.warning("outbox metrics: backlog not read: %s", exc)
            return
        oldest = None
        for state, handler, count, first_created_at in rows:
            if state == Delivery.State.PENDING:
                backlog.add_metric([handler], count)
                if oldest is None or first_created_at < oldest:
                    oldest = first_created_at
            else:
                failed.add_metric([handler], count)
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        oldest_age.add_metric([], max(age, 0.0))
        yield from (backlog, oldest_age, failed)


def _count_task_failure(sender: Task | None = None, **kwargs: Any) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", None) or "unknown").inc()


_registered = False


def metrics_register() -> None:
    """Register the collector and the task failure receiver, once per process."""
    global _registered
    if _registered:
        return
    _registered = True
    register_collector(OutboxCollector())
    task_failure.connect(_count_task_failure, weak=False)

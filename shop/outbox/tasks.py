"""Outbox tasks: thin shells over shop.outbox.services, safe to run twice."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(name="outbox.deliveries_run", ignore_result=True)
def deliveries_run(delivery_ids: list[int]) -> list[str]:
    """Run each delivery of one nudge (a transaction's, or a sweep chunk).

    Each runs in its own transaction, as `delivery_run` does alone, so one
    failing delivery holds back none of the others.
    """
    return [
        services.delivery_run(delivery_id=delivery_id).value
        for delivery_id in delivery_ids
    ]


# Kept for nudges queued by web processes of the previous release.
@shared_task(name="outbox.delivery_run", ignore_result=True)
def delivery_run(delivery_id: int) -> str:
    return services.delivery_run(delivery_id=delivery_id).value


@shared_task(name="outbox.sweep", ignore_result=True)
def outbox_sweep() -> int:
    return services.deliveries_sweep()


@shared_task(name="outbox.prune", ignore_result=True)
def outbox_prune() -> int:
    return services.outbox_prune(
        older_than=timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    )

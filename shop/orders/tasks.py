"""Scheduled order upkeep: thin shells over the commands and services."""

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from shop.orders.services import idempotency_keys_prune


@shared_task(name="orders.expire_pending", ignore_result=True)
def orders_expire_pending() -> None:
    # Cancels through the workflow service, which skips orders that moved on:
    # running twice cancels nothing twice.
    call_command(
        "expire_pending_orders", older_than=settings.ORDERS_PENDING_MAX_AGE, verbosity=0
    )


@shared_task(name="orders.prune_idempotency_keys", ignore_result=True)
def idempotency_keys_prune_task() -> int:
    return idempotency_keys_prune()

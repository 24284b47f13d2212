"""Catalogue tasks: the nightly stock audit and large admin CSV imports."""

import logging

from celery import shared_task

from shop.catalog.selectors import product_stock_drift
from shop.catalog.services.import_jobs import import_job_run

logger = logging.getLogger(__name__)


@shared_task(name="catalog.check_stock", ignore_result=True)
def stock_check() -> int:
    """Log every product whose stock differs from its ledger, as an error."""
    drifting = list(product_stock_drift())
    for row in drifting:
        logger.error(
            "stock drift: product %s (%s) has stock %s, ledger %s, drift %+d",
            row["id"],
            row["sku"],
            row["stock"],
            row["ledger"],
            row["stock"] - row["ledger"],
        )
    return len(drifting)


@shared_task(name="catalog.import_products", ignore_result=True)
def product_import_job(token: str, mode: str, keep_good: bool = False) -> None:
    """Preview or apply an admin CSV upload (shop.catalog.services.import_jobs)."""
    import_job_run(token=token, mode=mode, keep_good=keep_good)

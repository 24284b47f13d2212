"""Nightly stock audit: a thin shell over the drift selector."""

import logging

from celery import shared_task

from shop.catalog.selectors import product_stock_drift

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

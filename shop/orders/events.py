"""Order events for the transactional outbox (see docs/integrations.md).

Called by the order services inside their transactions, so an event exists
exactly when the change it describes committed.
"""

from collections.abc import Iterable

from shop.core.db import InsertBatch
from shop.orders.models import Order, OrderItem
from shop.outbox.events import event_record, nudges_batched
from shop.users.models import User

AGGREGATE = "order"


def _money(value) -> str:
    return format(value, ".2f")


def order_placed_record(
    *, order: Order, items: Iterable[OrderItem], batch: InsertBatch | None = None
) -> None:
    event_record(
        type="order.placed",
        aggregate_type=AGGREGATE,
        aggregate_id=order.pk,
        payload={
            "order_id": order.pk,
            "customer_id": order.customer_id,
            "status": order.status,
            "total": _money(order.total),
            "created_at": order.created_at.isoformat(),
            "items": [
                {
                    "product_id": item.product_id,
                    "sku": item.product_sku,
                    "name": item.product_name,
                    "unit_price": _money(item.unit_price),
                    "quantity": item.quantity,
                    "line_total": _money(item.line_total),
                }
                for item in items
            ],
        },
        batch=batch,
    )


def order_status_changed_record(
    *, order: Order, from_status: str, by_user: User | None, note: str = ""
) -> None:
    """`order.status_changed` for every move; a cancellation adds `order.cancelled`."""
    payload = {
        "order_id": order.pk,
        "customer_id": order.customer_id,
        "from_status": from_status,
        "to_status": order.status,
        "changed_by_id": getattr(by_user, "pk", None),
        "note": note[:255],
        "total": _money(order.total),
    }
    with nudges_batched():
        event_record(
            type="order.status_changed",
            aggregate_type=AGGREGATE,
            aggregate_id=order.pk,
            payload=payload,
        )
        if order.status == Order.Status.CANCELLED:
            event_record(
                type="order.cancelled",
                aggregate_type=AGGREGATE,
                aggregate_id=order.pk,
                payload=payload,
            )

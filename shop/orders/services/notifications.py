"""Customer emails about orders: outbox handlers run by the workers.

Each mail is a delivery of the order event that caused it (shop/outbox):
recorded in the order's transaction, sent by a worker after the commit,
retried with back-off while the mail server fails, and marked done in the
commit that follows the SMTP server's acceptance, so it is sent once.
"""

import logging

from shop.orders.models import Order
from shop.outbox.handlers import handler_register
from shop.outbox.mail import delivery_mail_send
from shop.outbox.models import Delivery, OutboxEvent

logger = logging.getLogger(__name__)


def _shipped(event: OutboxEvent) -> bool:
    return event.payload.get("to_status") == Order.Status.SHIPPED


@handler_register("orders.mail_placed", event_types={"order.placed"})
def order_placed_notify(delivery: Delivery) -> None:
    """Email the customer that the order was received."""
    _order_email(
        delivery,
        template="emails/order_placed",
        subject="Your order #{id} has been received",
    )


@handler_register(
    "orders.mail_shipped", event_types={"order.status_changed"}, applies=_shipped
)
def order_shipped_notify(delivery: Delivery) -> None:
    """Email the customer that the order is on its way."""
    _order_email(
        delivery,
        template="emails/order_shipped",
        subject="Your order #{id} has shipped",
    )


@handler_register("orders.mail_cancelled", event_types={"order.cancelled"})
def order_cancelled_notify(delivery: Delivery) -> None:
    """Email the customer that the order was cancelled."""
    _order_email(
        delivery,
        template="emails/order_cancelled",
        subject="Your order #{id} has been cancelled",
    )


def _order_email(delivery: Delivery, *, template: str, subject: str) -> None:
    order = (
        Order.objects.select_related("customer")
        .prefetch_related("items")
        .filter(pk=delivery.event.payload["order_id"])
        .first()
    )
    if order is None:
        # Deleted by staff since: nobody left to tell.
        logger.info("order of event %s is gone, no mail sent", delivery.event_id)
        return
    delivery_mail_send(
        delivery,
        to=order.customer.email,
        template=template,
        subject=subject.format(id=order.pk),
        context={"order": order, "customer": order.customer},
    )

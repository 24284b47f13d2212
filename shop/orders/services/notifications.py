"""Customer emails about orders, sent after the order's transaction commits."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from shop.orders.models import Order

logger = logging.getLogger(__name__)


def order_placed_notify(*, order_id: int, order: Order | None = None) -> bool:
    """Email the customer that the order was received; never raise.

    Checkout passes the order it just committed, with its customer and lines
    in memory, which spares two queries per order.
    """
    return _order_email(
        order_id=order_id,
        order=order,
        template="emails/order_placed",
        subject="Your order #{id} has been received",
    )


def order_shipped_notify(*, order_id: int) -> bool:
    """Email the customer that the order is on its way; never raise."""
    return _order_email(
        order_id=order_id,
        template="emails/order_shipped",
        subject="Your order #{id} has shipped",
    )


def _order_email(
    *, order_id: int, template: str, subject: str, order: Order | None = None
) -> bool:
    # Runs from transaction.on_commit: the order is already committed, so a
    # failing mail server must be logged, never propagated to the request.
    try:
        if order is None:
            order = (
                Order.objects.select_related("customer")
                .prefetch_related("items")
                .get(pk=order_id)
            )
        context = {"order": order, "customer": order.customer}
        send_mail(
            subject=subject.format(id=order.pk),
            message=render_to_string(f"{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.customer.email],
            html_message=render_to_string(f"{template}.html", context),
        )
    except Exception:
        logger.exception("could not send %s email for order %s", template, order_id)
        return False
    return True

"""The order workflow: every status change goes through order_transition."""

from django.db import transaction
from django.db.models import QuerySet

from shop.catalog.models import StockMovement
from shop.catalog.services.stock import products_lock, stock_return_many
from shop.orders.events import order_status_changed_record
from shop.orders.exceptions import InvalidTransition, OrderNotFound
from shop.orders.models import Order, OrderItem, OrderStatusChange
from shop.orders.permissions import user_manages_orders
from shop.users.models import User

Status = Order.Status

# The whole workflow; anything not listed here is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.PROCESSING, Status.CANCELLED}),
    Status.PROCESSING: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.SHIPPED: frozenset({Status.DELIVERED}),
    Status.DELIVERED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def order_transition_allowed(*, from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def order_transition(
    *,
    order_id: int,
    to_status: str,
    by_user: User | None = None,
    note: str = "",
    only_from: str | None = None,
) -> Order:
    """Move an order one step through the workflow and record who did it.

    Callers decide who may ask (the API checks staff rights, the admin its
    model permissions, commands run as the system with `by_user=None`).
    Cancelling puts the stock back exactly once: the order row is locked, so
    a second cancel or a racing status change sees the new status and is
    refused. `only_from` refuses the move unless the order is still in that
    status, for callers that chose the order by its status earlier.
    """
    with transaction.atomic():
        order = _order_lock(Order.objects.all(), order_id)
        if only_from is not None and order.status != only_from:
            raise InvalidTransition(
                f"The order is {order.status} now, no longer {only_from}.",
                extra={"status": order.status, "to": to_status},
            )
        _order_move(order=order, to_status=to_status, by_user=by_user, note=note)
    return order


def order_cancel(*, order_id: int, by_user: User, note: str = "") -> Order:
    """Cancel an order and restock it, within the caller's rights.

    Customers may cancel only their own orders and only while pending; staff
    who manage orders may cancel pending and processing ones. Someone else's
    order is reported as not found, never as forbidden.
    """
    with transaction.atomic():
        if user_manages_orders(by_user):
            order = _order_lock(Order.objects.all(), order_id)
        else:
            order = _order_lock(Order.objects.filter(customer=by_user), order_id)
            if order.status != Status.PENDING:
                raise InvalidTransition(
                    "Only pending orders can be cancelled; contact the shop "
                    "about orders already being processed.",
                    extra={"status": order.status, "to": Status.CANCELLED},
                )
        _order_move(order=order, to_status=Status.CANCELLED, by_user=by_user, note=note)
    return order


def _order_lock(queryset: QuerySet[Order], order_id: int) -> Order:
    try:
        return queryset.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise OrderNotFound() from None


def _order_move(
    *, order: Order, to_status: str, by_user: User | None, note: str
) -> None:
    from_status = order.status
    if not order_transition_allowed(from_status=from_status, to_status=to_status):
        raise InvalidTransition(
            f"An order cannot go from {from_status} to {to_status}.",
            extra={
                "status": from_status,
                "to": to_status,
                "allowed": sorted(TRANSITIONS.get(from_status, ())),
            },
        )
    if to_status == Status.CANCELLED:
        _stock_restore(order=order, by_user=by_user)
    order.status = to_status
    order.save(update_fields=["status", "updated_at"])
    OrderStatusChange.objects.create(
        order=order,
        from_status=from_status,
        to_status=to_status,
        changed_by=by_user,
        note=note[:255],
    )
    order_status_changed_record(
        order=order, from_status=from_status, by_user=by_user, note=note
    )


def _stock_restore(*, order: Order, by_user: User | None) -> None:
    returned: dict[int, int] = {}
    for product_id, quantity in OrderItem.objects.filter(order=order).values_list(
        "product_id", "quantity"
    ):
        returned[product_id] = returned.get(product_id, 0) + quantity
    if not returned:
        return
    # Same lock order as checkout, so a cancel and a checkout sharing products
    # queue instead of deadlocking.
    products_lock(ids=returned)
    stock_return_many(
        quantities=returned,
        reason=StockMovement.Reason.CANCELLATION,
        order=order,
        user=by_user,
    )

"""Reads of orders, scoped to who is asking."""

from django.db.models import Prefetch, QuerySet

from shop.orders.models import Order, OrderItem
from shop.orders.permissions import user_sees_all_orders
from shop.users.models import User

# Orders come with their lines in `item_list` (what OrderSerializer renders);
# checkout hands its new order over with the same attribute filled.
ITEMS_PREFETCH = Prefetch(
    "items", queryset=OrderItem.objects.order_by("id"), to_attr="item_list"
)


def order_list_for(*, user: User) -> QuerySet[Order]:
    """Orders the user may see, newest first, with their lines prefetched.

    Customers see only their own orders; staff with `orders.view_order` see
    every order.
    """
    orders = Order.objects.prefetch_related(ITEMS_PREFETCH).order_by(
        "-created_at", "-id"
    )
    if not user_sees_all_orders(user):
        orders = orders.filter(customer=user)
    return orders


def order_get(*, order_id: int) -> Order:
    """One order with its lines, whoever owns it; callers check access."""
    return Order.objects.prefetch_related(ITEMS_PREFETCH).get(pk=order_id)

"""Reads of orders, scoped to who is asking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from shop.core import rawsql
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


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    order_count: int
    amount_spent: Decimal  # cancelled orders excluded
    counts_by_status: dict[str, int]  # every status, zeros included
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None


# {revenue} is the vendor's exact money sum (shop.core.rawsql).
CUSTOMER_SUMMARY_SQL = """
    SELECT o.status, count(*) AS orders, {revenue} AS value,
           min(o.created_at) AS first_at, max(o.created_at) AS last_at
    FROM orders_order o
    WHERE o.customer_id = %(customer_id)s
    GROUP BY o.status
"""


def customer_summary(*, customer_id: int) -> CustomerSummary:
    """One customer's order count, spend, counts by status and order dates."""
    query = CUSTOMER_SUMMARY_SQL.format(revenue=rawsql.money_sum_sql("o.total"))
    rows = rawsql.fetch(query, {"customer_id": customer_id})
    counts = dict.fromkeys(Order.Status.values, 0)
    spent = Decimal("0.00")
    firsts, lasts = [], []
    for status, n, value, first_at, last_at in rows:
        counts[status] = int(n)
        if status != Order.Status.CANCELLED:
            spent += rawsql.to_money(value)
        firsts.append(rawsql.to_aware(first_at))
        lasts.append(rawsql.to_aware(last_at))
    return CustomerSummary(
        order_count=sum(counts.values()),
        amount_spent=spent,
        counts_by_status=counts,
        first_order_at=min(firsts) if firsts else None,
        last_order_at=max(lasts) if lasts else None,
    )

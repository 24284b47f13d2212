"""Order reports in raw SQL, on PostgreSQL and SQLite, in the shop's time zone.

Every query is a module constant. Values only ever travel as ``%(name)s``
parameters; the only text filled into a query is a fixed vendor fragment
from :mod:`shop.core.rawsql` (local period truncation, exact money sums),
the one place where the two databases differ.

Date ranges are local dates of ``settings.TIME_ZONE``, both inclusive; they
become the half-open UTC interval ``[date_from 00:00, date_to + 1 day 00:00)``
so an order at 03:00 UTC lands on the previous day in New York. Cancelled
orders count nowhere except in the status breakdown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, TypeGuard

from django.db import DEFAULT_DB_ALIAS

from shop.core import rawsql
from shop.core.periods import local_range, local_today, periods
from shop.orders.models import Order

GroupBy = Literal["day", "week", "month"]
GROUP_BY_CHOICES: tuple[str, ...] = ("day", "week", "month")


def is_group_by(value: str) -> TypeGuard[GroupBy]:
    return value in GROUP_BY_CHOICES


CENT = rawsql.CENT
STATUSES: tuple[str, ...] = tuple(Order.Status.values)


# --- Rows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SalesRow:
    period: dt.date  # first local day of the period (a Monday for weeks)
    orders: int
    units: int
    revenue: Decimal
    average_order_value: Decimal


@dataclass(frozen=True, slots=True)
class TopProductRow:
    product_id: int
    sku: str
    name: str
    units: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class TopCustomerRow:
    customer_id: int
    email: str
    orders: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class StatusRow:
    status: str
    count: int
    value: Decimal


@dataclass(frozen=True, slots=True)
class KeyFigures:
    """What the admin index shows at a glance."""

    today_orders: int
    today_revenue: Decimal
    pending_orders: int
    low_stock_products: int
    low_stock_threshold: int


# --- Queries ----------------------------------------------------------------
# {period}, {revenue}, {line_revenue} are vendor fragments (see _vendor_sql).

# Units come from Order.units (stored at checkout), so sales read only the
# orders: on PostgreSQL one scan of order_created_incl or of the table.
SALES_SQL = """
    SELECT {period} AS period, count(*) AS orders, sum(o.units) AS units,
           {revenue} AS revenue
    FROM orders_order o
    WHERE o.status <> %(cancelled)s
      AND o.created_at >= %(start)s AND o.created_at < %(end)s
    GROUP BY 1
"""

# Lines carry their order's created_at, so the range is found on the items
# alone (item_created_incl); cancelled orders, a few percent, are taken out
# with an anti-join against just the cancelled orders of the same range
# (order_status_created) instead of joining every line to its order.
TOP_PRODUCTS_SQL = """
    SELECT t.product_id, p.sku, p.name, t.units, t.revenue
    FROM (
        SELECT i.product_id AS product_id,
               sum(i.quantity) AS units,
               {line_revenue} AS revenue
        FROM orders_orderitem i
        WHERE i.created_at >= %(start)s AND i.created_at < %(end)s
          AND NOT EXISTS (
              SELECT 1 FROM orders_order o
              WHERE o.id = i.order_id AND o.status = %(cancelled)s
                AND o.created_at >= %(start)s AND o.created_at < %(end)s
          )
        GROUP BY i.product_id
        ORDER BY revenue DESC, units DESC, i.product_id
        LIMIT %(limit)s
    ) t
    JOIN catalog_product p ON p.id = t.product_id
    ORDER BY t.revenue DESC, t.units DESC, t.product_id
"""

TOP_CUSTOMERS_SQL = """
    SELECT t.customer_id, u.email, t.orders, t.revenue
    FROM (
        SELECT o.customer_id AS customer_id,
               count(*) AS orders,
               {revenue} AS revenue
        FROM orders_order o
        WHERE o.status <> %(cancelled)s
          AND o.created_at >= %(start)s AND o.created_at < %(end)s
        GROUP BY o.customer_id
        ORDER BY revenue DESC, orders DESC, o.customer_id
        LIMIT %(limit)s
    ) t
    JOIN users_user u ON u.id = t.customer_id
    ORDER BY t.revenue DESC, t.orders DESC, t.customer_id
"""

STATUS_BREAKDOWN_SQL = """
    SELECT o.status, count(*) AS orders, {revenue} AS value
    FROM orders_order o
    WHERE o.created_at >= %(start)s AND o.created_at < %(end)s
    GROUP BY o.status
"""

TODAY_SQL = """
    SELECT count(*) AS orders, {revenue} AS revenue
    FROM orders_order o
    WHERE o.status <> %(cancelled)s
      AND o.created_at >= %(start)s AND o.created_at < %(end)s
"""

PENDING_COUNT_SQL = """
    SELECT count(*) FROM orders_order o WHERE o.status = %(pending)s
"""

LOW_STOCK_COUNT_SQL = """
    SELECT count(*) FROM catalog_product p
    WHERE p.is_active AND p.stock <= %(threshold)s
"""


# --- Vendor fragments and conversions ----------------------------------------


def _vendor_sql(query: str) -> str:
    """A report query with its vendor fragments filled in (fixed text only)."""
    return query.format(
        period=rawsql.local_period_sql("o.created_at"),
        revenue=rawsql.money_sum_sql("o.total"),
        line_revenue=rawsql.money_sum_sql("i.line_total"),
    )


def _fetch(query: str, params: dict, using: str) -> list[tuple]:
    return rawsql.fetch(_vendor_sql(query), params, using=using)


_money = rawsql.to_money
_date = rawsql.to_date


def _average(revenue: Decimal, orders: int) -> Decimal:
    if not orders:
        return Decimal("0.00")
    return (revenue / orders).quantize(CENT, rounding=ROUND_HALF_UP)


def _range_params(date_from: dt.date | None, date_to: dt.date | None) -> dict:
    start, end = local_range(date_from, date_to)
    return {
        "start": rawsql.db_datetime(start),
        "end": rawsql.db_datetime(end),
        "cancelled": Order.Status.CANCELLED.value,
    }


# --- Reports ----------------------------------------------------------------


def sales(
    *,
    date_from: dt.date,
    date_to: dt.date,
    group_by: GroupBy = "day",
    using: str = DEFAULT_DB_ALIAS,
) -> list[SalesRow]:
    """Orders, units, revenue and average order value per local period.

    Every period of the range is present, empty ones with zeros, so charts
    and tables need no gap filling. Cancelled orders are excluded.
    """
    if group_by not in GROUP_BY_CHOICES:
        raise ValueError(f"group_by must be one of {GROUP_BY_CHOICES}")
    params = {**_range_params(date_from, date_to), "trunc": group_by}
    found = {
        _date(p): (int(n), int(u or 0), _money(r))
        for p, n, u, r in _fetch(SALES_SQL, params, using)
    }
    rows = []
    for period in periods(date_from, date_to, group_by):
        count, units, revenue = found.get(period, (0, 0, Decimal("0.00")))
        rows.append(
            SalesRow(
                period=period,
                orders=count,
                units=units,
                revenue=revenue,
                average_order_value=_average(revenue, count),
            )
        )
    return rows


def top_products(
    *,
    date_from: dt.date,
    date_to: dt.date,
    limit: int = 10,
    using: str = DEFAULT_DB_ALIAS,
) -> list[TopProductRow]:
    """Best-selling products by revenue (then units) in the range."""
    params = {**_range_params(date_from, date_to), "limit": int(limit)}
    return [
        TopProductRow(
            product_id=int(pid),
            sku=sku,
            name=name,
            units=int(units),
            revenue=_money(revenue),
        )
        for pid, sku, name, units, revenue in _fetch(TOP_PRODUCTS_SQL, params, using)
    ]


def top_customers(
    *,
    date_from: dt.date,
    date_to: dt.date,
    limit: int = 10,
    using: str = DEFAULT_DB_ALIAS,
) -> list[TopCustomerRow]:
    """Customers who spent most in the range (cancelled orders excluded)."""
    params = {**_range_params(date_from, date_to), "limit": int(limit)}
    return [
        TopCustomerRow(
            customer_id=int(cid), email=email, orders=int(n), revenue=_money(revenue)
        )
        for cid, email, n, revenue in _fetch(TOP_CUSTOMERS_SQL, params, using)
    ]


def status_breakdown(
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> list[StatusRow]:
    """Order count and value per status (every status, all time by default)."""
    found = {
        status: (int(n), _money(value))
        for status, n, value in _fetch(
            STATUS_BREAKDOWN_SQL, _range_params(date_from, date_to), using
        )
    }
    empty = (0, Decimal("0.00"))
    return [
        StatusRow(status=s, count=found.get(s, empty)[0], value=found.get(s, empty)[1])
        for s in STATUSES
    ]


def key_figures(
    *, low_stock_threshold: int, using: str = DEFAULT_DB_ALIAS
) -> KeyFigures:
    """Today's orders and revenue, pending orders, low-stock active products."""
    today = local_today()
    ((today_orders, today_revenue),) = _fetch(
        TODAY_SQL, _range_params(today, today), using
    )
    ((pending,),) = _fetch(
        PENDING_COUNT_SQL, {"pending": Order.Status.PENDING.value}, using
    )
    ((low,),) = _fetch(LOW_STOCK_COUNT_SQL, {"threshold": low_stock_threshold}, using)
    return KeyFigures(
        today_orders=int(today_orders),
        today_revenue=_money(today_revenue),
        pending_orders=int(pending),
        low_stock_products=int(low),
        low_stock_threshold=low_stock_threshold,
    )

"""Order reports in raw SQL, on PostgreSQL and SQLite, in the shop's time zone.

Every query is a module constant. Values only ever travel as ``%(name)s``
parameters; the only text filled into a query is a fixed, vendor-specific
fragment chosen by :func:`_vendor_sql`, the one place where the two databases
differ:

* the local period an order falls in (day, ISO week starting Monday, month):
  PostgreSQL converts with ``AT TIME ZONE`` and truncates with
  ``date_trunc``; SQLite stores UTC text, so it calls Django's own
  ``django_date_trunc`` function (registered on every SQLite connection),
  which converts each row with ``zoneinfo`` — DST and half-hour offsets
  included;
* money sums: PostgreSQL sums ``numeric`` exactly; SQLite keeps decimals as
  floating point, so it sums whole cents (``round(x * 100)``), which is exact
  far beyond any shop's turnover.

Date ranges are local dates of ``settings.TIME_ZONE``, both inclusive; they
become the half-open UTC interval ``[date_from 00:00, date_to + 1 day 00:00)``
so an order at 03:00 UTC lands on the previous day in New York. Cancelled
orders count nowhere except in the status breakdown and the customer's
order count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shop.orders.models import Order

GroupBy = Literal["day", "week", "month"]
GROUP_BY_CHOICES: tuple[str, ...] = ("day", "week", "month")
CENT = Decimal("0.01")
STATUSES: tuple[str, ...] = tuple(Order.Status.values)

# Bounds used when a report is asked for "all time".
_EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


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
class CustomerSummary:
    order_count: int
    amount_spent: Decimal  # cancelled orders excluded
    counts_by_status: dict[str, int]  # every status, zeros included
    first_order_at: dt.datetime | None
    last_order_at: dt.datetime | None


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

CUSTOMER_SUMMARY_SQL = """
    SELECT o.status, count(*) AS orders, {revenue} AS value,
           min(o.created_at) AS first_at, max(o.created_at) AS last_at
    FROM orders_order o
    WHERE o.customer_id = %(customer_id)s
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


# --- Vendor differences (the only place) ---------------------------------


@dataclass(frozen=True, slots=True)
class _Vendor:
    fragments: dict[str, str]
    money_scale: int  # money sums come back multiplied by this


def _vendor() -> _Vendor:
    """SQL fragments that differ between PostgreSQL and SQLite.

    Periods need ``%(trunc)s`` (day|week|month), ``%(tz)s`` and, on SQLite,
    ``%(conn_tz)s`` (the zone the stored text is in) among the parameters.
    """
    if connection.vendor == "postgresql":
        # date_trunc('week', ...) starts weeks on Monday (ISO), as we want.
        return _Vendor(
            fragments={
                "period": "date_trunc(%(trunc)s, o.created_at AT TIME ZONE %(tz)s)"
                "::date",
                "revenue": "sum(o.total)",
                "line_revenue": "sum(i.line_total)",
            },
            money_scale=1,
        )
    if connection.vendor == "sqlite":
        # Django registers django_date_trunc on every SQLite connection; it
        # parses the stored UTC text and converts it with zoneinfo per row,
        # so DST changes and odd offsets are handled, and weeks start Monday.
        return _Vendor(
            fragments={
                "period": "django_date_trunc(%(trunc)s, o.created_at, %(tz)s, "
                "%(conn_tz)s)",
                "revenue": "sum(round(o.total * 100))",
                "line_revenue": "sum(round(i.line_total * 100))",
            },
            money_scale=100,
        )
    raise NotImplementedError(f"Reports do not support {connection.vendor}.")


def _vendor_sql(query: str) -> str:
    """A report query with its vendor fragments filled in (fixed text only)."""
    return query.format(**_vendor().fragments)


def _fetch(query: str, params: dict) -> list[tuple]:
    params = {
        "tz": timezone.get_default_timezone_name(),
        "conn_tz": getattr(connection, "timezone_name", "UTC") or "UTC",
        **params,
    }
    with connection.cursor() as cursor:
        cursor.execute(_vendor_sql(query), params)
        return cursor.fetchall()


# --- Conversions ------------------------------------------------------------


def _money(value) -> Decimal:
    if value is None:
        return Decimal("0.00")
    scale = _vendor().money_scale
    if scale == 1:
        return Decimal(value).quantize(CENT)
    # Whole cents summed as (integral) floats on SQLite: exact up to 2**53.
    return (Decimal(int(round(value))) / scale).quantize(CENT)


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _aware(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        # SQLite hands back the stored UTC text without a zone.
        value = value.replace(tzinfo=dt.UTC)
    return value


def _average(revenue: Decimal, orders: int) -> Decimal:
    if not orders:
        return Decimal("0.00")
    return (revenue / orders).quantize(CENT, rounding=ROUND_HALF_UP)


def _db_datetime(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


# --- Date ranges ------------------------------------------------------------


def local_today() -> dt.date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def default_range(days: int = 30) -> tuple[dt.date, dt.date]:
    """The last `days` local days, today included."""
    today = local_today()
    return today - dt.timedelta(days=days - 1), today


def local_range(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    """Inclusive local dates as the half-open aware interval [start, end)."""
    tz = timezone.get_default_timezone()
    start = (
        timezone.make_aware(dt.datetime.combine(date_from, dt.time.min), tz)
        if date_from
        else _EARLIEST
    )
    end = (
        timezone.make_aware(
            dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min), tz
        )
        if date_to
        else _LATEST
    )
    return start, end


def _range_params(date_from: dt.date | None, date_to: dt.date | None) -> dict:
    start, end = local_range(date_from, date_to)
    return {
        "start": _db_datetime(start),
        "end": _db_datetime(end),
        "cancelled": Order.Status.CANCELLED.value,
    }


def period_start(day: dt.date, group_by: GroupBy) -> dt.date:
    if group_by == "week":
        return day - dt.timedelta(days=day.weekday())
    if group_by == "month":
        return day.replace(day=1)
    return day


def _next_period(period: dt.date, group_by: GroupBy) -> dt.date:
    if group_by == "week":
        return period + dt.timedelta(days=7)
    if group_by == "month":
        return (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return period + dt.timedelta(days=1)


def periods(date_from: dt.date, date_to: dt.date, group_by: GroupBy) -> list[dt.date]:
    """Every period start touching [date_from, date_to], in order."""
    out = []
    period = period_start(date_from, group_by)
    while period <= date_to:
        out.append(period)
        period = _next_period(period, group_by)
    return out


# --- Reports ----------------------------------------------------------------


def sales(
    *, date_from: dt.date, date_to: dt.date, group_by: GroupBy = "day"
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
        for p, n, u, r in _fetch(SALES_SQL, params)
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
    *, date_from: dt.date, date_to: dt.date, limit: int = 10
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
        for pid, sku, name, units, revenue in _fetch(TOP_PRODUCTS_SQL, params)
    ]


def top_customers(
    *, date_from: dt.date, date_to: dt.date, limit: int = 10
) -> list[TopCustomerRow]:
    """Customers who spent most in the range (cancelled orders excluded)."""
    params = {**_range_params(date_from, date_to), "limit": int(limit)}
    return [
        TopCustomerRow(
            customer_id=int(cid), email=email, orders=int(n), revenue=_money(revenue)
        )
        for cid, email, n, revenue in _fetch(TOP_CUSTOMERS_SQL, params)
    ]


def status_breakdown(
    *, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[StatusRow]:
    """Order count and value per status (every status, all time by default)."""
    found = {
        status: (int(n), _money(value))
        for status, n, value in _fetch(
            STATUS_BREAKDOWN_SQL, _range_params(date_from, date_to)
        )
    }
    empty = (0, Decimal("0.00"))
    return [
        StatusRow(status=s, count=found.get(s, empty)[0], value=found.get(s, empty)[1])
        for s in STATUSES
    ]


def customer_summary(*, customer_id: int) -> CustomerSummary:
    """One customer's order count, spend, counts by status and order dates."""
    rows = _fetch(CUSTOMER_SUMMARY_SQL, {"customer_id": customer_id})
    counts = dict.fromkeys(STATUSES, 0)
    spent = Decimal("0.00")
    firsts, lasts = [], []
    for status, n, value, first_at, last_at in rows:
        counts[status] = int(n)
        if status != Order.Status.CANCELLED:
            spent += _money(value)
        firsts.append(_aware(first_at))
        lasts.append(_aware(last_at))
    return CustomerSummary(
        order_count=sum(counts.values()),
        amount_spent=spent,
        counts_by_status=counts,
        first_order_at=min(firsts) if firsts else None,
        last_order_at=max(lasts) if lasts else None,
    )


def key_figures(*, low_stock_threshold: int) -> KeyFigures:
    """Today's orders and revenue, pending orders, low-stock active products."""
    today = local_today()
    ((today_orders, today_revenue),) = _fetch(TODAY_SQL, _range_params(today, today))
    ((pending,),) = _fetch(PENDING_COUNT_SQL, {"pending": Order.Status.PENDING.value})
    ((low,),) = _fetch(LOW_STOCK_COUNT_SQL, {"threshold": low_stock_threshold})
    return KeyFigures(
        today_orders=int(today_orders),
        today_revenue=_money(today_revenue),
        pending_orders=int(pending),
        low_stock_products=int(low),
        low_stock_threshold=low_stock_threshold,
    )


REPORT_NAMES: Sequence[str] = ("sales", "top-products", "customers", "status")

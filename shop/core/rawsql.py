"""Raw SQL on PostgreSQL and SQLite: the one place where the two differ.

Queries stay module constants with ``%(name)s`` parameters; the only text
filled into them is a fixed fragment built here from a fixed column name:

* the local period a timestamp falls in (day, ISO week starting Monday,
  month): PostgreSQL converts with ``AT TIME ZONE`` and truncates with
  ``date_trunc``; SQLite stores UTC text, so it calls Django's own
  ``django_date_trunc`` function (registered on every SQLite connection),
  which converts each row with ``zoneinfo`` — DST and half-hour offsets
  included. Needs ``%(trunc)s`` among the parameters; :func:`fetch` adds
  the zones;
* money sums: PostgreSQL sums ``numeric`` exactly; SQLite keeps decimals as
  floating point, so it sums whole cents (``round(x * 100)``), which is exact
  far beyond any shop's turnover. :func:`to_money` undoes the scaling.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import overload

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

CENT = Decimal("0.01")


def _vendor() -> str:
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"Raw SQL does not support {connection.vendor}.")
    return connection.vendor


def local_period_sql(column: str) -> str:
    """The first local day of the %(trunc)s period `column` falls in."""
    if _vendor() == "postgresql":
        # date_trunc('week', ...) starts weeks on Monday (ISO), as we want.
        return f"date_trunc(%(trunc)s, {column} AT TIME ZONE %(tz)s)::date"
    # Django registers django_date_trunc on every SQLite connection; it parses
    # the stored UTC text and converts it with zoneinfo per row, so DST
    # changes and odd offsets are handled, and weeks start Monday.
    return f"django_date_trunc(%(trunc)s, {column}, %(tz)s, %(conn_tz)s)"


def money_sum_sql(column: str) -> str:
    """An exact sum of a money column (in cents on SQLite; see to_money)."""
    if _vendor() == "postgresql":
        return f"sum({column})"
    return f"sum(round({column} * 100))"


def money_scale() -> int:
    """What money sums come back multiplied by."""
    return 1 if _vendor() == "postgresql" else 100


def fetch(query: str, params: dict, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """Run a query with the zone parameters local_period_sql needs.

    `using` names a replica for heavy staff reads (shop.core.replicas); it
    has the primary's vendor and settings, so the fragments above still fit.
    """
    params = {
        "tz": timezone.get_default_timezone_name(),
        "conn_tz": getattr(connection, "timezone_name", "UTC") or "UTC",
        **params,
    }
    with connections[using].cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def to_money(value) -> Decimal:
    """A money sum as Decimal with two places (None as zero)."""
    if value is None:
        return Decimal("0.00")
    scale = money_scale()
    if scale == 1:
        return Decimal(value).quantize(CENT)
    # Whole cents summed as (integral) floats on SQLite: exact up to 2**53.
    return (Decimal(int(round(value))) / scale).quantize(CENT)


def to_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@overload
def to_aware(value: None) -> None: ...
@overload
def to_aware(value: dt.datetime | str) -> dt.datetime: ...
def to_aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a timestamp: {value!r}")
        value = parsed
    if timezone.is_naive(value):
        # SQLite hands back the stored UTC text without a zone.
        value = value.replace(tzinfo=dt.UTC)
    return value


def db_datetime(value: dt.datetime):
    """A datetime as the connection stores it (for raw query parameters)."""
    return connection.ops.adapt_datetimefield_value(value)

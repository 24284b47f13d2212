"""What keeps the order changelist fast with a million orders.

Two things Django's changelist does on every page load read the whole
orders table: ``SELECT COUNT(*)`` for the paginator, and, for the date
hierarchy, ``SELECT DISTINCT date_trunc('year' | 'month', created_at)`` over
every (filtered) row. Both are replaced here with index look-ups.
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from shop.core.periods import period_next, period_start

# Below this many rows an exact COUNT(*) is cheap and the estimate is worth
# little (it may be stale or missing on a small, busy table).
EXACT_COUNT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered PostgreSQL table from the planner's estimate.

    ``pg_class.reltuples`` is kept by ANALYZE / autovacuum: close to the
    truth on a big table, read in microseconds. Filtered lists, small tables
    and SQLite are counted exactly. With an estimate the last page number
    may be off by a little; Django's changelist then shows its "invalid page"
    redirect rather than an error.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if (
            isinstance(queryset, QuerySet)
            and connection.vendor == "postgresql"
            and not queryset.query.where
        ):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class "
                    "WHERE oid = to_regclass(%s)",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= EXACT_COUNT_BELOW:
                return int(row[0])
        return super().count


class DateHierarchyQuerySet(QuerySet):
    """A queryset whose year and month lists come from index look-ups.

    The date hierarchy asks ``datetimes(field, "year")`` (no year chosen) and
    ``datetimes(field, "month")`` (a year chosen); Django answers with a
    DISTINCT over every row. Here a skip scan instead: the MIN of the field,
    then the MIN at or after the start of the next period, and so on — one
    index probe per year or month that has orders, none for empty ones.
    """

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind not in ("year", "month") or "__" in field_name:
            return super().datetimes(field_name, kind, order, tzinfo)
        tz = tzinfo or timezone.get_current_timezone()
        rows = self.order_by()
        found = []
        following = rows.aggregate(first=Min(field_name))["first"]
        while following is not None:
            start = period_start(timezone.localtime(following, tz).date(), kind)
            found.append(_local_midnight(start, tz))
            later = {
                f"{field_name}__gte": _local_midnight(period_next(start, kind), tz)
            }
            following = rows.filter(**later).aggregate(first=Min(field_name))["first"]
        return found if order == "ASC" else found[::-1]


def _local_midnight(day: dt.date, tz) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)


def with_cheap_date_hierarchy(queryset: QuerySet) -> DateHierarchyQuerySet:
    """The same query, as a DateHierarchyQuerySet."""
    return DateHierarchyQuerySet(
        model=queryset.model,
        query=queryset.query.chain(),
        # QuerySet's own constructor arguments; the stubs leave its private
        # attributes out.
        using=queryset._db,  # type: ignore[attr-defined]
        hints=queryset._hints,  # type: ignore[attr-defined]
    )

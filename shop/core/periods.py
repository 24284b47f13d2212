"""Calendar arithmetic in the shop's time zone: the one place for it.

Reports group by local day, ISO week (starting Monday) or month; the order
changelist's date hierarchy steps by month and year; exports and reports
turn inclusive local dates into half-open UTC intervals.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils import timezone

Period = Literal["day", "week", "month", "year"]

# Bounds of an open-ended ("all time") range.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def local_today() -> dt.date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def local_range(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[dt.datetime, dt.datetime]:
    """Inclusive local dates as the half-open aware interval [start, end)."""
    tz = timezone.get_default_timezone()
    start = (
        timezone.make_aware(dt.datetime.combine(date_from, dt.time.min), tz)
        if date_from
        else EARLIEST
    )
    end = (
        timezone.make_aware(
            dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min), tz
        )
        if date_to
        else LATEST
    )
    return start, end


def period_start(day: dt.date, period: Period) -> dt.date:
    """The first day of the period `day` falls in (a Monday for weeks)."""
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    return day


def period_next(start: dt.date, period: Period) -> dt.date:
    """The first day of the period after the one starting on `start`."""
    if period == "week":
        return start + dt.timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if period == "year":
        return start.replace(year=start.year + 1, month=1, day=1)
    return start + dt.timedelta(days=1)


def periods(date_from: dt.date, date_to: dt.date, period: Period) -> list[dt.date]:
    """Every period start touching [date_from, date_to], in order."""
    out = []
    start = period_start(date_from, period)
    while start <= date_to:
        out.append(start)
        start = period_next(start, period)
    return out

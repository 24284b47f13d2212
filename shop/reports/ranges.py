"""The range a report covers: defaults and limits, validated in one place.

The API, the admin Reports page and `order_report` all build a ReportRange
and get the same defaults (the last 30 local days), the same longest span
and the same error for a range that ends before it starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shop.core.periods import local_today
from shop.reports.queries import GROUP_BY_CHOICES, GroupBy, is_group_by

DEFAULT_DAYS = 30
# The longest range one report may cover: ten years of daily rows.
MAX_DAYS = 3660
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class ReportRangeError(ValueError):
    """A report parameter out of bounds; `field` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ReportRange:
    """Inclusive local dates (None: open end), sales period, rows of a top list."""

    date_from: dt.date | None
    date_to: dt.date | None
    group_by: GroupBy = "day"
    limit: int = DEFAULT_LIMIT

    @classmethod
    def build(
        cls,
        *,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        group_by: str | None = None,
        limit: int | None = None,
        open_ended: bool = False,
        max_limit: int = MAX_LIMIT,
    ) -> ReportRange:
        """Fill in the defaults and check the bounds, or raise ReportRangeError.

        Missing dates default to the last DEFAULT_DAYS local days (ending on
        date_to when only that is given) unless `open_ended`: then a missing
        date leaves that end of the range open ("all time").
        """
        group_by = group_by or "day"
        limit = DEFAULT_LIMIT if limit is None else limit
        if not open_ended:
            date_to = date_to or local_today()
            date_from = date_from or date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
        if not is_group_by(group_by):
            raise ReportRangeError(
                "group_by", f"group_by must be one of {', '.join(GROUP_BY_CHOICES)}."
            )
        if not 1 <= limit <= max_limit:
            raise ReportRangeError("limit", f"limit must be between 1 and {max_limit}.")
        if date_from and date_to:
            if date_from > date_to:
                raise ReportRangeError(
                    "date_from", "date_from must not be after date_to."
                )
            if (date_to - date_from).days >= MAX_DAYS:
                raise ReportRangeError(
                    "date_to", f"A range may cover at most {MAX_DAYS} days."
                )
        return cls(date_from=date_from, date_to=date_to, group_by=group_by, limit=limit)

    @classmethod
    def default(cls) -> ReportRange:
        return cls.build()

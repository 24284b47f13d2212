"""Run a report by name over a ReportRange; render its rows as CSV.

The API views, the admin Reports page and `order_report` all come through
here, so a report's columns, rows and file name are the same everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.http import StreamingHttpResponse

from shop.core.csv import csv_lines, csv_response
from shop.core.replicas import replica_read
from shop.reports import queries
from shop.reports.ranges import ReportRange


@dataclass(frozen=True, slots=True)
class ReportSpec:
    name: str
    row_type: type
    # Called with the range and `using`, the database alias to read.
    fetch: Callable[..., list]
    # Whether a range left open means "all time" rather than the default days.
    open_ended: bool = False
    # Whether the report is grouped by period (and its file name says so).
    grouped: bool = False

    @property
    def fields(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.row_type)]


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            "sales",
            queries.SalesRow,
            lambda r, using: queries.sales(
                date_from=r.date_from,
                date_to=r.date_to,
                group_by=r.group_by,
                using=using,
            ),
            grouped=True,
        ),
        ReportSpec(
            "top-products",
            queries.TopProductRow,
            lambda r, using: queries.top_products(
                date_from=r.date_from, date_to=r.date_to, limit=r.limit, using=using
            ),
        ),
        ReportSpec(
            "customers",
            queries.TopCustomerRow,
            lambda r, using: queries.top_customers(
                date_from=r.date_from, date_to=r.date_to, limit=r.limit, using=using
            ),
        ),
        ReportSpec(
            "status",
            queries.StatusRow,
            lambda r, using: queries.status_breakdown(
                date_from=r.date_from, date_to=r.date_to, using=using
            ),
            open_ended=True,
        ),
    )
}
REPORT_NAMES: Sequence[str] = tuple(REPORTS)


@dataclass(frozen=True, slots=True)
class ReportResult:
    spec: ReportSpec
    range: ReportRange
    rows: list

    @property
    def fields(self) -> list[str]:
        return self.spec.fields

    @property
    def filename(self) -> str:
        parts = [self.spec.name]
        for day in (self.range.date_from, self.range.date_to):
            if day:
                parts.append(day.isoformat())
        if self.spec.grouped:
            parts.append(self.range.group_by)
        return "-".join(parts) + ".csv"

    def values(self) -> Iterator[list]:
        """Each row's values in column order."""
        for row in self.rows:
            yield [getattr(row, field) for field in self.fields]


def report_run(name: str, report_range: ReportRange) -> ReportResult:
    """The rows of report `name` over an already validated range."""
    spec = REPORTS[name]
    # Heavy staff reads: a replica when one answers (shop.core.replicas).
    rows = replica_read(spec.fetch, report_range)
    return ReportResult(spec=spec, range=report_range, rows=rows)


def report_csv_lines(result: ReportResult) -> Iterator[str]:
    """The report as CSV lines, header first (even when there are no rows)."""
    return csv_lines(result.fields, result.values())


def report_csv_response(result: ReportResult) -> StreamingHttpResponse:
    """The report as a CSV download named after the report and its range."""
    return csv_response(result.filename, result.fields, result.values())

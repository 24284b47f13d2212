"""Print one staff report (sales, top products, customers, status) for a range."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from shop.reports.queries import GROUP_BY_CHOICES
from shop.reports.ranges import ReportRange, ReportRangeError
from shop.reports.runner import REPORT_NAMES, report_csv_lines, report_run

# An operator may ask for longer top lists than the API hands out.
MAX_LIMIT = 1000


class Command(BaseCommand):
    help = (
        "Print a report as an aligned table or as CSV. Dates are local days of "
        "TIME_ZONE, both inclusive (default: the last 30 days; the status "
        "report covers all time unless a range is given)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("report", choices=REPORT_NAMES, help="Which report.")
        parser.add_argument(
            "--date-from", type=dt.date.fromisoformat, help="First day, YYYY-MM-DD."
        )
        parser.add_argument(
            "--date-to", type=dt.date.fromisoformat, help="Last day, YYYY-MM-DD."
        )
        parser.add_argument(
            "--group-by",
            choices=GROUP_BY_CHOICES,
            default="day",
            help="Sales period (day).",
        )
        parser.add_argument(
            "--limit", type=int, default=10, help="Rows of the top reports (10)."
        )
        parser.add_argument(
            "--format", choices=("table", "csv"), default="table", help="table or csv."
        )

    def handle(self, *args: Any, report: str, **options: Any) -> None:
        date_from, date_to = options["date_from"], options["date_to"]
        try:
            report_range = ReportRange.build(
                date_from=date_from,
                date_to=date_to,
                group_by=options["group_by"],
                limit=options["limit"],
                # The status report covers all time unless a date is given.
                open_ended=report == "status" and not (date_from or date_to),
                max_limit=MAX_LIMIT,
            )
        except ReportRangeError as exc:
            option = "--" + exc.field.replace("_", "-")
            raise CommandError(f"{option}: {exc.message}") from exc
        result = report_run(report, report_range)
        if options["format"] == "csv":
            for line in report_csv_lines(result):
                self.stdout.write(line, ending="")
            return
        rows = [
            {f: str(v) for f, v in zip(result.fields, values, strict=True)}
            for values in result.values()
        ]
        self.stdout.write(self.table(result.fields, rows))

    @staticmethod
    def table(fields: list[str], rows: list[dict]) -> str:
        cells = [[str(row[f]) for f in fields] for row in rows]
        widths = [
            max([len(f), *(len(c[i]) for c in cells)]) for i, f in enumerate(fields)
        ]
        numeric = [
            all(_looks_numeric(c[i]) for c in cells) and bool(cells)
            for i in range(len(fields))
        ]

        def line(values: list[str]) -> str:
            return "  ".join(
                v.rjust(w) if num else v.ljust(w)
                for v, w, num in zip(values, widths, numeric, strict=True)
            ).rstrip()

        out = [line(fields), line(["-" * w for w in widths])]
        out += [line(c) for c in cells]
        if not cells:
            out.append("(no rows)")
        return "\n".join(out)


def _looks_numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True

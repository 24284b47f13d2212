"""Print one staff report (sales, top products, customers, status) for a range."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shop.orders import reports
from shop.orders.report_views import report_csv, report_data


class Command(BaseCommand):
    help = (
        "Print a report as an aligned table or as CSV. Dates are local days of "
        "TIME_ZONE, both inclusive (default: the last 30 days; the status "
        "report covers all time unless a range is given)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "report", choices=reports.REPORT_NAMES, help="Which report."
        )
        parser.add_argument(
            "--date-from", type=dt.date.fromisoformat, help="First day, YYYY-MM-DD."
        )
        parser.add_argument(
            "--date-to", type=dt.date.fromisoformat, help="Last day, YYYY-MM-DD."
        )
        parser.add_argument(
            "--group-by",
            choices=reports.GROUP_BY_CHOICES,
            default="day",
            help="Sales period (day).",
        )
        parser.add_argument(
            "--limit", type=int, default=10, help="Rows of the top reports (10)."
        )
        parser.add_argument(
            "--format", choices=("table", "csv"), default="table", help="table or csv."
        )

    def handle(self, *args, report, **options):
        date_from, date_to = options["date_from"], options["date_to"]
        if report != "status" or date_from or date_to:
            date_to = date_to or reports.local_today()
            date_from = date_from or date_to - dt.timedelta(days=29)
        if date_from and date_to and date_from > date_to:
            raise CommandError("--date-from must not be after --date-to.")
        if not 1 <= options["limit"] <= 1000:
            raise CommandError("--limit must be between 1 and 1000.")
        params = {
            "date_from": date_from,
            "date_to": date_to,
            "group_by": options["group_by"],
            "limit": options["limit"],
        }
        if options["format"] == "csv":
            _name, body = report_csv(report, params)
            self.stdout.write(body.decode(), ending="")
            return
        view, data = report_data(report, params)
        self.stdout.write(self.table(view.csv_fields, data["results"]))

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

        def line(values):
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

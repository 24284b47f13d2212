"""Stream orders to CSV or JSON lines, one row per order, in constant memory."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from shop.core.csv import csv_lines
from shop.core.periods import local_range
from shop.core.replicas import replica_alias
from shop.orders.models import Order

FIELDS = (
    "id",
    "created_at",
    "status",
    "customer_id",
    "customer_email",
    "item_count",
    "units",
    "total",
    "shipping_address",
)


def order_rows(
    *,
    date_from: dt.date | None,
    date_to: dt.date | None,
    statuses: list[str],
    chunk_size: int,
    using: str = DEFAULT_DB_ALIAS,
):
    """Yield export rows in id order, fetched `chunk_size` at a time.

    `.iterator()` reads through a server-side (named) cursor on PostgreSQL
    and fetchmany() on SQLite, so no more than a chunk is ever in memory.
    """
    start, end = local_range(date_from, date_to)
    orders = Order.objects.using(using).filter(
        created_at__gte=start, created_at__lt=end
    )
    if statuses:
        orders = orders.filter(status__in=statuses)
    # Item count and units are stored on the order at checkout: no join with
    # the items table, rows stream in id order straight off the primary key.
    rows = orders.order_by("id").values_list(
        "id",
        "created_at",
        "status",
        "customer_id",
        "customer__email",
        "item_count",
        "units",
        "total",
        "shipping_address",
    )
    for row in _chunks(rows, chunk_size=chunk_size):
        oid, created, status, cid, email, n_items, units, total, address = row
        yield {
            "id": oid,
            "created_at": created.isoformat(),
            "status": status,
            "customer_id": cid,
            "customer_email": email,
            "item_count": n_items,
            "units": units or 0,
            "total": f"{total:.2f}",
            "shipping_address": address,
        }


def _chunks(rows, *, chunk_size: int):
    """`rows` (ordered by id, id first) fetched `chunk_size` at a time.

    Through a server-side cursor where there is one; behind PgBouncer in
    transaction pooling (DISABLE_SERVER_SIDE_CURSORS) by keyset pages, one
    `id > last` query per chunk, which needs no session state and, in the
    caller's REPEATABLE READ transaction, sees one snapshot as the cursor does.
    """
    if not connections[rows.db].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        yield from rows.iterator(chunk_size=chunk_size)
        return
    last = None
    while True:
        page = rows if last is None else rows.filter(id__gt=last)
        chunk = list(page[:chunk_size])
        yield from chunk
        if len(chunk) < chunk_size:
            return
        last = chunk[-1][0]


class Command(BaseCommand):
    help = (
        "Export orders, one row per order (with item count, units and total), "
        "as CSV or JSON lines to a file or stdout. Rows stream from a "
        "server-side cursor, so memory stays flat for any number of orders. "
        "Dates are local days of TIME_ZONE, both inclusive; times are UTC ISO 8601."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", choices=("csv", "jsonl"), default="csv", help="csv or jsonl."
        )
        parser.add_argument(
            "--date-from", type=dt.date.fromisoformat, help="First day, YYYY-MM-DD."
        )
        parser.add_argument(
            "--date-to", type=dt.date.fromisoformat, help="Last day, YYYY-MM-DD."
        )
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            choices=Order.Status.values,
            help="Only orders in this status (repeat for several).",
        )
        parser.add_argument(
            "--output", "-o", help="File to write (default: standard output)."
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=2000,
            help="Rows fetched from the database at a time (2000).",
        )

    def handle(self, *args, **options):
        date_from, date_to = options["date_from"], options["date_to"]
        if date_from and date_to and date_from > date_to:
            raise CommandError("--date-from must not be after --date-to.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        path = options["output"]
        try:
            out = open(path, "w", newline="", encoding="utf-8") if path else None
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc}") from exc
        # The raw stream under self.stdout: rows carry their own line ends.
        stream = out or self.stdout._out
        try:
            # One transaction: a consistent snapshot, and on PostgreSQL a
            # plain server-side cursor that streams (outside a transaction
            # Django declares it WITH HOLD, which materialises every row first).
            # A replica when one answers: exports are the heaviest staff read.
            using = replica_alias()
            connection = connections[using]
            outermost = not connection.in_atomic_block
            with transaction.atomic(using=using):
                if outermost and connection.vendor == "postgresql":
                    # One snapshot for every chunk, also when they are pages.
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
                        )
                count = self.export(stream, options, using=using)
        except BrokenPipeError:
            # The reader went away (`| head`); that is not an error.
            return
        finally:
            if out:
                out.close()
        self.progress(
            f"Exported {count:,} orders" + (f" to {path}" if path else "") + "."
        )

    def export(self, stream, options, *, using: str = DEFAULT_DB_ALIAS) -> int:
        rows = order_rows(
            date_from=options["date_from"],
            date_to=options["date_to"],
            statuses=options["status"],
            chunk_size=options["chunk_size"],
            using=using,
        )
        started = time.monotonic()
        count = 0
        if options["format"] == "csv":
            lines = csv_lines(
                FIELDS, ([row[f] for f in FIELDS] for row in rows), lineterminator="\n"
            )
            stream.write(next(lines))  # the header
        else:
            lines = (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        for line in lines:
            stream.write(line)
            count += 1
            if count % 100_000 == 0:
                elapsed = time.monotonic() - started
                self.progress(f"  {count:,} orders, {count / elapsed:,.0f}/s")
        return count

    def progress(self, message: str) -> None:
        # Progress goes to stderr so stdout stays a clean data stream.
        if self.verbosity >= 1:
            self.stderr.write(message)

    def execute(self, *args, **options):
        self.verbosity = options.get("verbosity", 1)
        return super().execute(*args, **options)

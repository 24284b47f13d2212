"""export_orders."""

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.factories import OrderFactory
from shop.orders.tests.helpers import spring_orders
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def orders():
    return spring_orders()


def run(name, *args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_export_csv_to_stdout(orders):
    out, err = run("export_orders", "--date-from=2026-03-01", "--date-to=2026-03-31")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [
        (int(r["id"]), r["status"], r["item_count"], r["units"], r["total"])
        for r in rows
    ] == [
        (orders[0].pk, "delivered", "2", "3", "22.50"),
        (orders[1].pk, "cancelled", "1", "4", "10.00"),
    ]
    assert rows[0]["customer_email"] == "buyer@example.com"
    assert dt.datetime.fromisoformat(rows[0]["created_at"]) == orders[0].created_at
    assert "Exported 2 orders" in err


def test_export_jsonl_to_file_with_status_filter(orders, tmp_path):
    target = tmp_path / "orders.jsonl"
    run("export_orders", format="jsonl", status=["delivered"], output=str(target))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["id"] for line in lines] == [orders[0].pk, orders[2].pk]
    assert lines[1]["total"] == "10.00" and lines[1]["units"] == 1


def test_export_bad_range():
    with pytest.raises(CommandError):
        run("export_orders", "--date-from=2026-03-02", "--date-to=2026-03-01")


def test_export_streams_in_chunks(monkeypatch):
    """Rows are written while the cursor is still being read, chunk by chunk."""
    product = ProductFactory()
    buyer = UserFactory()
    for day in range(1, 24):
        OrderFactory(
            customer=buyer,
            created_at=dt.datetime(2026, 3, day, 12, tzinfo=UTC),
            lines=[(product, 1)],
            status="delivered",
        )
    fetches = []
    cursors = []
    real_chunked_cursor = connection.chunked_cursor

    def spying_chunked_cursor():
        cursor = real_chunked_cursor()
        cursors.append(cursor)
        real_fetchmany = cursor.fetchmany

        def fetchmany(size=None):
            rows = real_fetchmany(size)
            fetches.append((size, len(rows)))
            return rows

        cursor.fetchmany = fetchmany
        return cursor

    monkeypatch.setattr(connection, "chunked_cursor", spying_chunked_cursor)

    class Recorder(io.StringIO):
        fetched_when_written = []

        def write(self, text):
            self.fetched_when_written.append(len(fetches))
            return super().write(text)

    out = Recorder()
    call_command("export_orders", "--chunk-size=5", stdout=out, stderr=io.StringIO())
    assert len(list(csv.reader(io.StringIO(out.getvalue())))) == 24  # header + 23
    assert fetches[0][0] == 5 and len(fetches) >= 5
    assert all(got <= 5 for _size, got in fetches)
    # The first order was written before the last chunk had been fetched.
    assert out.fetched_when_written[1] < len(fetches)
    if connection.vendor == "postgresql":
        # A named (server-side) cursor: the database keeps the result.
        assert cursors and cursors[0].cursor.name


def test_export_pages_by_id_without_server_side_cursors():
    """Behind PgBouncer (DISABLE_SERVER_SIDE_CURSORS) rows still come in chunks."""
    product = ProductFactory()
    buyer = UserFactory()
    for day in range(1, 12):
        OrderFactory(
            customer=buyer,
            created_at=dt.datetime(2026, 3, day, 12, tzinfo=UTC),
            lines=[(product, 1)],
        )
    settings_dict = connection.settings_dict
    settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        out = io.StringIO()
        with CaptureQueriesContext(connection) as queries:
            call_command(
                "export_orders", "--chunk-size=5", stdout=out, stderr=io.StringIO()
            )
    finally:
        settings_dict.pop("DISABLE_SERVER_SIDE_CURSORS")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
    assert len(rows) == 11
    # 11 rows, 5 a page: three queries, each with a LIMIT.
    pages = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(pages) == 3 and all("LIMIT 5" in sql for sql in pages)

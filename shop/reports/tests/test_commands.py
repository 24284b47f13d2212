"""order_report: tables, CSV, ranges and refusals."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from shop.orders.tests.helpers import spring_orders

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def orders():
    return spring_orders()


def run(name, *args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_order_report_table(orders):
    out, _ = run(
        "order_report",
        "sales",
        "--date-from=2026-03-01",
        "--date-to=2026-04-30",
        "--group-by=month",
    )
    lines = out.splitlines()
    assert lines[0].split() == [
        "period",
        "orders",
        "units",
        "revenue",
        "average_order_value",
    ]
    assert lines[2].split() == ["2026-03-01", "1", "3", "22.50", "22.50"]
    assert lines[3].split() == ["2026-04-01", "1", "1", "10.00", "10.00"]


def test_order_report_csv(orders):
    out, _ = run(
        "order_report",
        "top-products",
        "--date-from=2026-03-01",
        "--date-to=2026-04-30",
        "--format=csv",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["sku"], r["units"], r["revenue"]) for r in rows] == [
        ("SKU-A", "3", "30.00"),
        ("SKU-B", "1", "2.50"),
    ]


def test_order_report_status_all_time(orders):
    out, _ = run("order_report", "status")
    counts = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:]}
    assert counts == {
        "pending": "0",
        "processing": "0",
        "shipped": "0",
        "delivered": "2",
        "cancelled": "1",
    }


def test_order_report_empty_and_errors(db):
    out, _ = run(
        "order_report", "customers", "--date-from=2020-01-01", "--date-to=2020-01-31"
    )
    assert "(no rows)" in out
    with pytest.raises(CommandError):
        run("order_report", "sales", "--date-from=2026-03-02", "--date-to=2026-03-01")
    with pytest.raises(CommandError):
        run("order_report", "nope")

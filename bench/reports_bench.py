"""Reports at scale: seed a million orders on PostgreSQL and time every report.

    .venv/bin/python bench/reports_bench.py                 # seed 1M orders, measure
    .venv/bin/python bench/reports_bench.py --skip-seed     # measure an existing load
    .venv/bin/python bench/reports_bench.py --orders 200000

Uses the PostgreSQL database `shop_bench_reports` (created if missing; its
data is replaced when seeding). For each measurement it prints the median of
--repeat runs of: the application path (reports.py through Django), the same
SQL run bare through psql (`\\timing`, the floor), and the equivalent ORM
aggregate. Prints a Markdown table for docs/reports.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
DB = "shop_bench_reports"
UNTIL = dt.date(2026, 10, 31)


def psql(*args: str, db: str = DB, stdin: str | None = None) -> str:
    cmd = ["psql", "-X", "-q", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]
    return subprocess.run(
        [*cmd, *args, db], input=stdin, capture_output=True, text=True, check=True
    ).stdout


def ensure_database() -> None:
    names = psql("-Atc", "SELECT datname FROM pg_database", db="postgres")
    if DB not in names.split():
        psql("-c", f"CREATE DATABASE {DB}", db="postgres")


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and connections
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def psql_ms(statements: list[str], repeat: int) -> float:
    """Median wall time of the statements run bare by psql (summed per run)."""
    script = "\\timing on\n" + "".join(
        f"{s.strip().rstrip(';')};\n" for _ in range(repeat + 1) for s in statements
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    try:
        out = psql("-o", "/dev/null", "-f", f.name)
    finally:
        os.unlink(f.name)
    times = [float(t) for t in re.findall(r"Time: ([\d.]+) ms", out)]
    per_run = [
        sum(times[i : i + len(statements)])
        for i in range(0, len(times), len(statements))
    ][1:]  # the first run warms the cache, as for the others
    return statistics.median(per_run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()

    ensure_database()
    os.environ["DATABASE_URL"] = (
        f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{DB}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not args.skip_seed:
        started = time.monotonic()
        call_command(
            "seed_demo",
            "--flush",
            seed=1,
            orders=args.orders,
            customers=args.customers,
            products=args.products,
            categories=40,
            days=365,
            until=UNTIL,
            batch_size=50_000,
        )
        print(f"seed_demo: {time.monotonic() - started:.0f} s")
    # Visibility map for index-only scans, fresh statistics.
    psql("-c", "VACUUM ANALYZE")
    measure(args.repeat, connection)


def measure(repeat: int, connection) -> None:
    from django.db.models import Count, Max, Min, Q, Sum
    from django.db.models.functions import TruncDay, TruncWeek
    from django.test import Client
    from django.utils import timezone
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from shop.orders import selectors
    from shop.orders.models import Order, OrderItem
    from shop.reports import queries as reports
    from shop.users.models import User

    # The machine is shared: the load says how much the figures can be trusted.
    load_before = os.getloadavg()
    tz = timezone.get_default_timezone()
    year = (UNTIL - dt.timedelta(days=364), UNTIL)
    week = (UNTIL - dt.timedelta(days=6), UNTIL)
    cancelled = Order.Status.CANCELLED

    def sql_of(query: str, params: dict) -> str:
        full = {
            "tz": timezone.get_default_timezone_name(),
            "conn_tz": "UTC",
            **params,
        }
        with connection.cursor() as cursor:
            return cursor.mogrify(reports._vendor_sql(query), full)

    def range_params(r):
        return reports._range_params(*r)

    def orm_range(r):
        start, end = reports.local_range(*r)
        return Q(created_at__gte=start, created_at__lt=end)

    rows: list[tuple[str, float, float, float | None]] = []

    def add(label, app, statements, orm=None):
        a = median_ms(app, repeat)
        p = psql_ms(statements, repeat)
        o = median_ms(orm, repeat) if orm else None
        rows.append((label, a, p, o))
        print(f"{label:<42} app {a:8.1f} ms  psql {p:8.1f} ms  orm {o or 0:8.1f} ms")

    for name, r in (("year", year), ("week", week)):
        group = "day" if name == "year" else "day"
        params = {**range_params(r), "trunc": group}
        trunc = TruncDay("created_at", tzinfo=tz)
        add(
            f"sales by day, {name}",
            lambda r=r, g=group: reports.sales(
                date_from=r[0], date_to=r[1], group_by=g
            ),
            [
                sql_of(reports.SALES_SQL, params),
            ],
            lambda r=r, trunc=trunc: list(
                Order.objects.filter(orm_range(r))
                .exclude(status=cancelled)
                .annotate(p=trunc)
                .values("p")
                .annotate(n=Count("id"), units=Sum("units"), revenue=Sum("total"))
                .order_by("p")
            ),
        )
        if name == "year":
            wparams = {**range_params(r), "trunc": "week"}
            add(
                "sales by week, year",
                lambda r=r: reports.sales(
                    date_from=r[0], date_to=r[1], group_by="week"
                ),
                [
                    sql_of(reports.SALES_SQL, wparams),
                ],
                lambda r=r: list(
                    Order.objects.filter(orm_range(r))
                    .exclude(status=cancelled)
                    .annotate(p=TruncWeek("created_at", tzinfo=tz))
                    .values("p")
                    .annotate(n=Count("id"), units=Sum("units"), revenue=Sum("total"))
                    .order_by("p")
                ),
            )
        top = {**range_params(r), "limit": 10}
        add(
            f"top products, {name}",
            lambda r=r: reports.top_products(date_from=r[0], date_to=r[1], limit=10),
            [sql_of(reports.TOP_PRODUCTS_SQL, top)],
            lambda r=r: list(
                OrderItem.objects.filter(
                    created_at__gte=reports.local_range(*r)[0],
                    created_at__lt=reports.local_range(*r)[1],
                )
                .exclude(order__status=cancelled)
                .values("product_id", "product__sku", "product__name")
                .annotate(units=Sum("quantity"), revenue=Sum("line_total"))
                .order_by("-revenue", "-units", "product_id")[:10]
            ),
        )
        add(
            f"top customers, {name}",
            lambda r=r: reports.top_customers(date_from=r[0], date_to=r[1], limit=10),
            [sql_of(reports.TOP_CUSTOMERS_SQL, top)],
            lambda r=r: list(
                Order.objects.filter(orm_range(r))
                .exclude(status=cancelled)
                .values("customer_id", "customer__email")
                .annotate(n=Count("id"), revenue=Sum("total"))
                .order_by("-revenue", "-n", "customer_id")[:10]
            ),
        )
        add(
            f"status breakdown, {name}",
            lambda r=r: reports.status_breakdown(date_from=r[0], date_to=r[1]),
            [sql_of(reports.STATUS_BREAKDOWN_SQL, range_params(r))],
            lambda r=r: list(
                Order.objects.filter(orm_range(r))
                .values("status")
                .annotate(n=Count("id"), value=Sum("total"))
            ),
        )

    busiest = (
        Order.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["customer_id"]
    )
    add(
        "customer summary (busiest customer)",
        lambda: selectors.customer_summary(customer_id=busiest),
        [sql_of(selectors.CUSTOMER_SUMMARY_SQL, {"customer_id": busiest})],
        lambda: list(
            Order.objects.filter(customer_id=busiest)
            .values("status")
            .annotate(
                n=Count("id"),
                value=Sum("total"),
                first=Min("created_at"),
                last=Max("created_at"),
            )
        ),
    )

    staff = User.objects.get(email="staff@example.com")
    browser = Client()
    browser.force_login(staff)

    def changelist(query=""):
        response = browser.get("/admin/orders/order/" + query)
        assert response.status_code == 200, response.status_code

    # OrderAdmin.list_per_page = 50
    changelist_sql = (
        "SELECT o.id, o.status, o.total, o.item_count, o.created_at, u.email "
        "FROM orders_order o JOIN users_user u ON u.id = o.customer_id "
        "ORDER BY o.created_at DESC, o.id DESC LIMIT 50"
    )
    add("admin order changelist (50 rows)", changelist, [changelist_sql])
    year_sql = changelist_sql.replace(
        "ORDER BY",
        f"WHERE o.created_at >= '{UNTIL.year}-01-01' "
        f"AND o.created_at < '{UNTIL.year + 1}-01-01' ORDER BY",
    )
    add(
        f"admin order changelist, year {UNTIL.year} chosen (50 rows)",
        lambda: changelist(f"?created_at__year={UNTIL.year}"),
        [year_sql],
    )

    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(staff).access_token}"
    )

    def api_list():
        response = api.get("/api/v1/orders/")
        assert response.status_code == 200, response.status_code

    add(
        "staff orders API list (20 rows)",
        api_list,
        [changelist_sql.replace("LIMIT 50", "LIMIT 20")],
    )

    load_after = os.getloadavg()
    orders = Order.objects.count()
    items = OrderItem.objects.count()
    print()
    print(f"{orders:,} orders, {items:,} items; medians of {repeat} runs, ms")
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    print()
    print("| measurement | app | bare SQL (psql) | app / SQL | ORM aggregate |")
    print("|---|---:|---:|---:|---:|")
    for label, a, p, o in rows:
        orm = f"{o:.1f}" if o is not None else "–"
        print(f"| {label} | {a:.1f} | {p:.1f} | {a / p:.2f}× | {orm} |")


if __name__ == "__main__":
    main()

"""A deep page of GET /api/v1/orders/ by offset and by cursor, on a big table.

Usage (from the project root; a PostgreSQL database seeded by seed_demo):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_pages \\
        .venv/bin/python manage.py seed_demo --orders 1000000 --customers 10000 \\
        --products 1000 --days 365 --until 2026-06-30
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_pages \\
        .venv/bin/python bench/orders_pages.py [--repeat 7] [--depths 0,500000,999980]

For each depth (rows before the page) and each mode, as a staff user over
every order and as the customer with the most orders:

- **request**: the whole GET through Django in this process (JWT auth,
  filters, pagination, serialising 20 orders with their lines), median of
  `--repeat` runs after one warm-up;
- **SQL**: `EXPLAIN ANALYZE` execution time of the page query the request
  ran (and of its COUNT in offset mode), median of `--repeat`.

The cursor for depth N is the one the API itself hands out in the `next`
link of the page ending at row N (built here with the paginator, not by
walking N/20 pages). Nothing is written to the database.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.dev")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.pagination import Cursor  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from shop.core.pagination import _CursorPagination  # noqa: E402
from shop.orders.models import Order  # noqa: E402
from shop.orders.pagination import OrderPagination  # noqa: E402
from shop.users.models import User  # noqa: E402

URL = "/api/v1/orders/"
PAGE = 20


def cursor_for(queryset, depth: int) -> str | None:
    """The `cursor` the API's `next` link carries for the page at row `depth`.

    DRF's cursor is a position (a created_at strictly newer than the page's
    first row) plus an offset over the rows sharing the page's created_at;
    built here with the paginator rather than by walking depth/20 pages.
    """
    if depth == 0:
        return None
    ordered = queryset.order_by(*OrderPagination.cursor_ordering)
    first = ordered[depth]
    newer = queryset.filter(created_at__gt=first.created_at)
    marker = newer.order_by("created_at", "id").first()
    before = newer.count()
    paginator = _CursorPagination()
    paginator.ordering = OrderPagination.cursor_ordering
    paginator.base_url = "http://testserver" + URL
    paginator.request = Request(APIRequestFactory().get(URL))
    cursor = Cursor(
        offset=depth - before, reverse=False, position=str(marker.created_at)
    )
    link = paginator.encode_cursor(cursor)
    return parse_qs(urlsplit(link).query)["cursor"][0]


def measure(client, token, params, repeat):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.get(URL, params, **headers)  # warm-up
    assert response.status_code == 200, response.content[:300]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(URL, params, **headers)
        times.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, params, **headers).json()
    sql = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "orders_order"' in q["sql"] and "orders_orderitem" not in q["sql"]
    ]
    return statistics.median(times), sql, body


def explain_ms(sql: str, repeat: int) -> float:
    runs = []
    with connection.cursor() as cursor:
        for _ in range(repeat):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            runs.append(cursor.fetchone()[0][0]["Execution Time"])
    return statistics.median(runs)


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return " / ".join(row[0].strip() for row in cursor.fetchall()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--depths",
        default="",
        help="Comma-separated rows before the page (default: 0, half, last page).",
    )
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "run against PostgreSQL"
    total = Order.objects.count()
    depths = (
        [int(d) for d in args.depths.split(",")]
        if args.depths
        else [0, total // 2, total - PAGE]
    )
    staff = (
        User.objects.filter(is_superuser=True).first()
        or User.objects.filter(is_staff=True).first()
    )
    top = (
        Order.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    customer = User.objects.get(pk=top["customer_id"])
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    print(
        f"orders: {total:,}; staff {staff.email}; customer {customer.email} "
        f"with {top['n']:,} orders; page {PAGE}; medians of {args.repeat}"
    )
    print(
        f"{'who':9} {'depth':>9} {'mode':7} {'request ms':>11} "
        f"{'page SQL ms':>12} {'count SQL ms':>13}  plan"
    )
    for who, user, scope in (
        ("staff", staff, Order.objects.all()),
        ("customer", customer, Order.objects.filter(customer=customer)),
    ):
        token = str(RefreshToken.for_user(user).access_token)
        scoped_total = scope.count()
        who_depths = depths if who == "staff" else [0, scoped_total - PAGE]
        for depth in who_depths:
            depth = max(0, min(depth, scoped_total - PAGE))
            for mode in ("offset", "cursor"):
                if mode == "offset":
                    params = {"limit": PAGE, "offset": depth}
                else:
                    cursor = cursor_for(scope, depth)
                    params = {"limit": PAGE, "paginate": "cursor"}
                    if cursor:
                        params["cursor"] = cursor
                seconds, sql, body = measure(client, token, params, args.repeat)
                expected = list(
                    scope.order_by(*OrderPagination.cursor_ordering).values_list(
                        "id", flat=True
                    )[depth : depth + PAGE]
                )
                assert [o["id"] for o in body["results"]] == expected, (who, depth)
                page_sql = [s for s in sql if "COUNT(" not in s.upper()]
                count_sql = [s for s in sql if "COUNT(" in s.upper()]
                page_ms = explain_ms(page_sql[0], args.repeat)
                count_ms = explain_ms(count_sql[0], args.repeat) if count_sql else None
                print(
                    f"{who:9} {depth:>9,} {mode:7} {seconds * 1000:>11.1f} "
                    f"{page_ms:>12.2f} "
                    f"{'-' if count_ms is None else f'{count_ms:.1f}':>13}  "
                    f"{plan_of(page_sql[0])[:90]}"
                )


if __name__ == "__main__":
    main()

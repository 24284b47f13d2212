"""Application CPU per placed order, measured in one process.

Usage (from the project root, PostgreSQL on 127.0.0.1:5432; Redis on
127.0.0.1:6379 for the cache unless `--cache-url locmem`):

    .venv/bin/python bench/checkout_cpu.py [--orders 500] [--repeat 3]
        [--idempotency] [--profile] [--show-sql] [--reuse-db]

What it does:

1. (Re)creates the database `shop_bench_cpu` and migrates it with production
   settings (DEBUG off, `SECRET_KEY` set, throttles raised through
   `THROTTLE_RATES` so they count but never refuse, Redis as the cache, emails
   to Django's in-memory backend so both templates are rendered), then loads
   1,000 products with stock 10^9 and one customer with a JWT access token.
2. Drives `POST /api/v1/orders/` with 3-line JSON bodies through Django's own
   `WSGIHandler` (what gunicorn calls: every middleware, URL resolution, DRF
   authentication, throttles, parsing, validation, the checkout transaction,
   rendering, and the email sent from `on_commit`). Nothing goes over a
   socket, so the figure is the application's CPU alone; PostgreSQL's own
   CPU runs in other processes and is not counted.
3. Warms up, then places `--orders` orders `--repeat` times and prints the
   process CPU (`time.process_time`) per order as the median, minimum and
   maximum over the batches, and the median wall time per order. On a shared
   box other processes inflate CPU time too (caches, SMT siblings), so use
   many small batches, compare medians of runs alternated with the code you
   compare against, and read the minimum as the closest to a quiet machine.
   Then counts the queries per order (`CaptureQueriesContext`, in a separate
   batch because capturing costs CPU) and checks the rows each order must
   leave behind.
4. `--profile` profiles one more batch with cProfile on a CPU clock and prints
   the top 20 functions by own time and by cumulative time.

`--idempotency` sends a fresh `Idempotency-Key` with every order, so the
figure includes claiming and answering the key.

`--insert bulk_create` makes the checkout's INSERTs (order, lines, status
change, stock movements, outbox event) go through `bulk_create` instead of
`shop.core.db.instances_insert`; `--insert alternate` runs `--repeat` batches
of each, alternated (instances, bulk_create, instances, ...), and prints both
medians and the difference, so the two are measured under the same load.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "shop_bench_cpu"
PG = "postgres://postgres@127.0.0.1:5432"
PRODUCTS = 1000
STOCK = 10**9
LINES = 3
WARMUP = 100


def configure(cache_url: str, db_name: str) -> None:
    global DB_NAME
    DB_NAME = db_name
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "shop.settings.prod",
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "THROTTLE_RATES": "anon=10000000/min,user=10000000/min,auth=10000000/min",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "EMAIL_URL": "memorymail://",
            "LOG_LEVEL": "ERROR",
        }
    )
    if cache_url == "locmem":
        os.environ.pop("CACHE_URL", None)
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["CACHE_URL"] = cache_url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def setup_database(reuse: bool) -> tuple[list[int], str]:
    import psycopg

    if not reuse:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    # Settings read DATABASE_URL when imported, so set up Django after the
    # database exists.
    from decimal import Decimal

    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from shop.catalog.models import Product
    from shop.users.models import User

    if not reuse:
        call_command("migrate", verbosity=0)
        Product.objects.bulk_create(
            Product(
                name=f"Bench product {i}",
                slug=f"bench-{i}",
                sku=f"BENCH-{i:06d}",
                price=Decimal("10.00") + i % 90,
                stock=STOCK,
            )
            for i in range(PRODUCTS)
        )
        User.objects.create(
            email="cpu-bench@example.com", username="cpu-bench", password="!"
        )
        with psycopg.connect(f"{PG}/{DB_NAME}", autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    user = User.objects.get(email="cpu-bench@example.com")
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    return ids, str(AccessToken.for_user(user))


class Driver:
    """Calls the WSGI application the way a WSGI server would."""

    def __init__(self, token: str, product_ids: list[int], idempotency: bool):
        from django.core.handlers.wsgi import WSGIHandler

        self.app = WSGIHandler()
        self.token = token
        self.product_ids = product_ids
        self.idempotency = idempotency
        self.rng = random.Random(42)
        self.statuses: dict[str, int] = {}

    def body(self) -> bytes:
        products = self.rng.sample(self.product_ids, LINES)
        return json.dumps(
            {
                "items": [{"product": p, "quantity": 1} for p in products],
                "shipping_address": "1 Bench Street\n12345 Benchtown",
            }
        ).encode()

    def place(self) -> bytes:
        body = self.body()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/orders/",
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "HTTP_ACCEPT": "application/json",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if self.idempotency:
            environ["HTTP_IDEMPOTENCY_KEY"] = secrets.token_hex(16)
        status = []
        response = self.app(environ, lambda s, headers: status.append(s))
        try:
            content = b"".join(response)
        finally:
            response.close()  # request_finished, as a WSGI server does
        self.statuses[status[0]] = self.statuses.get(status[0], 0) + 1
        return content

    def batch(self, n: int) -> None:
        from django.core import mail

        for _ in range(n):
            self.place()
        mail.outbox.clear()


# Modules that call instances_insert on the checkout path, by the name they
# imported it under.
INSERT_USERS = (
    "shop.orders.services.checkout",
    "shop.catalog.services.stock",
    "shop.core.events",
)


def _bulk_create(objs, *, using="default"):
    if objs:
        type(objs[0])._base_manager.using(using).bulk_create(objs)


def insert_use(kind: str) -> None:
    """Point the checkout path's INSERT helper at `kind`."""
    import importlib

    from shop.core.db import instances_insert

    impl = instances_insert if kind == "instances" else _bulk_create
    for name in INSERT_USERS:
        module = importlib.import_module(name)
        if hasattr(module, "instances_insert"):
            module.instances_insert = impl


def timed(driver: Driver, n: int) -> tuple[float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    driver.batch(n)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return 1000 * (cpu1 - cpu0) / n, 1000 * (wall1 - wall0) / n


def count_queries(driver: Driver, n: int, show_sql: bool) -> float:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        driver.batch(n)
    if show_sql:
        per_order = len(ctx) // n
        for query in ctx.captured_queries[-per_order:]:
            print("   ", query["sql"][:300])
    return len(ctx) / n


def check_rows(placed: int) -> None:
    from shop.catalog.models import StockMovement
    from shop.core.models import OutboxEvent
    from shop.orders.models import Order, OrderItem, OrderStatusChange

    counts = {
        "orders": Order.objects.count(),
        "items": OrderItem.objects.count(),
        "stock movements": StockMovement.objects.filter(order__isnull=False).count(),
        "status changes": OrderStatusChange.objects.count(),
        "outbox events": OutboxEvent.objects.filter(type="order.placed").count(),
    }
    expected = {
        "orders": placed,
        "items": LINES * placed,
        "stock movements": LINES * placed,
        "status changes": placed,
        "outbox events": placed,
    }
    wrong = {k: (v, expected[k]) for k, v in counts.items() if v != expected[k]}
    print("rows:", ", ".join(f"{v} {k}" for k, v in counts.items()))
    if wrong:
        raise SystemExit(f"unexpected row counts (got, expected): {wrong}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=500, help="orders per batch")
    parser.add_argument("--repeat", type=int, default=3, help="timed batches")
    parser.add_argument(
        "--idempotency", action="store_true", help="send an Idempotency-Key"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one batch")
    parser.add_argument(
        "--profile-out",
        default="/tmp/checkout_cpu.prof",
        help="where --profile also saves the raw stats (for pstats/snakeviz)",
    )
    parser.add_argument("--show-sql", action="store_true", help="print one order's SQL")
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep the existing bench database"
    )
    parser.add_argument(
        "--insert",
        choices=("instances", "bulk_create", "alternate"),
        default="instances",
        help="INSERT implementation on the checkout path (alternate: A B A B...)",
    )
    parser.add_argument("--db-name", default=DB_NAME, help="database to (re)create")
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/13",
        help="cache for throttle counters; 'locmem' for the per-process cache",
    )
    args = parser.parse_args()
    # Production settings expect collected static files; no request here uses them.
    warnings.filterwarnings("ignore", message="No directory at")
    configure(args.cache_url, args.db_name)
    from django.core import mail

    from shop.orders.models import Order

    product_ids, token = setup_database(args.reuse_db)
    already = Order.objects.count()
    driver = Driver(token, product_ids, args.idempotency)
    mail.outbox = []

    # The first response is checked against what the API promises.
    first = json.loads(driver.place())
    assert set(first) >= {"id", "items", "total", "status"}, first
    assert len(mail.outbox) == 1, "the order-placed email was not sent"
    driver.batch(WARMUP - 1)

    load_before = os.getloadavg()
    if args.insert == "alternate":
        by_kind: dict[str, list[float]] = {"instances": [], "bulk_create": []}
        for _ in range(args.repeat):
            for kind, cpus in by_kind.items():
                insert_use(kind)
                cpus.append(timed(driver, args.orders)[0])
        load_after = os.getloadavg()
        a = statistics.median(by_kind["instances"])
        b = statistics.median(by_kind["bulk_create"])
        print(
            f"instances_insert: median {a:.3f} ms CPU/order "
            f"(min {min(by_kind['instances']):.3f})  "
            f"bulk_create: median {b:.3f} ms CPU/order "
            f"(min {min(by_kind['bulk_create']):.3f})  "
            f"instances_insert saves {100 * (b - a) / b:.1f} % of checkout CPU  "
            f"({args.repeat} alternated pairs of {args.orders} orders, "
            f"load average before/after: {load_before[0]:.1f}/{load_after[0]:.1f})"
        )
        placed = WARMUP + 2 * args.repeat * args.orders
        if set(driver.statuses) != {"201 Created"}:
            raise SystemExit(f"unexpected responses: {driver.statuses}")
        check_rows(already + placed)
        return
    insert_use(args.insert)
    results = [timed(driver, args.orders) for _ in range(args.repeat)]
    load_after = os.getloadavg()
    queries = count_queries(driver, 20, args.show_sql)
    placed = WARMUP + args.repeat * args.orders + 20

    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        driver.batch(args.orders)
        profiler.disable()
        placed += args.orders
        profiler.dump_stats(args.profile_out)
        for sort in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(sort).print_stats(20)
            print(f"--- top 20 by {sort} ({args.orders} orders) ---")
            print("\n".join(out.getvalue().splitlines()[6:]))

    if set(driver.statuses) != {"201 Created"}:
        raise SystemExit(f"unexpected responses: {driver.statuses}")
    check_rows(already + placed)
    cpus = [r[0] for r in results]
    if len(results) <= 5:
        for cpu, wall in results:
            print(f"batch of {args.orders}: {cpu:.2f} ms CPU/order, {wall:.2f} ms wall")
    print(
        f"CPU ms/order median: {statistics.median(cpus):.2f} "
        f"(min {min(cpus):.2f}, max {max(cpus):.2f}, {len(cpus)} batches of "
        f"{args.orders})  "
        f"wall ms/order: {statistics.median(r[1] for r in results):.2f}  "
        f"queries/order: {queries:.1f}  "
        f"load average before/after: {load_before[0]:.1f}/{load_after[0]:.1f}  "
        f"idempotency key: {'yes' if args.idempotency else 'no'}"
    )


if __name__ == "__main__":
    main()

"""Orders per second through HTTP, side by side with pgbench on the same SQL.

Usage (from the project root, PostgreSQL on 127.0.0.1:5432, wrk and pgbench
installed):

    .venv/bin/python bench/orders_bench.py [--duration 10] [--rounds 2]

What it does:

1. (Re)creates the database `shop_bench_orders`, migrates it with production
   settings, loads 10,001 products (stock 10^9, so nothing runs out) and 200
   customers, and mints one JWT access token per customer.
2. Starts gunicorn (2 sync workers, production settings, port 18431).
3. For 8 and 32 concurrent clients, alternating the scenarios and the two
   servers (A B A B ...), runs for `--duration` seconds each:
   - `wrk` POSTing 3-line orders to /api/v1/orders/ with a random customer's
     token: **hot** = every order contains product 1 plus two random
     products, **spread** = three random products out of 10,000;
   - `pgbench` running the same transaction in bare SQL (lock the 3 products
     in id order, insert the order, its 3 items, decrement the 3 stocks in
     one UPDATE, insert 3 stock movements, the status history row and the
     outbox event, as the app does).
4. Counts the orders actually created (rows in orders_order), not just HTTP
   responses, and reads the workers' CPU time from /proc to report
   application CPU ms per order. Prints medians and the HTTP/pgbench ratio.

Emails are rendered but sent to Django's dummy backend (EMAIL_URL=dummymail://).
"""

import argparse
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The same 3-line orders as the checkout bench: one wrk script, one basket rule.
from bench.checkout_bench import WRK_LUA, product_ranges  # noqa: E402

DB_NAME = "shop_bench_orders"
PG = "postgres://postgres@127.0.0.1:5432"
PORT = 18431
PRODUCTS = 10_000  # plus the hot product
CUSTOMERS = 200
STOCK = 10**9
CLK_TCK = os.sysconf("SC_CLK_TCK")

ENV = {
    "DJANGO_SETTINGS_MODULE": "shop.settings.prod",
    "SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "THROTTLE_RATES": "anon=1000000/min,user=1000000/min,auth=1000000/min",
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "EMAIL_URL": "dummymail://",
    "LOG_LEVEL": "ERROR",
}


def setup_database() -> tuple[int, int, int, list[str]]:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from shop.catalog.models import Product
    from shop.users.models import User

    call_command("migrate", verbosity=0)
    Product.objects.bulk_create(
        Product(
            name=f"Bench product {i}",
            slug=f"bench-{i}",
            sku=f"BENCH-{i:06d}",
            price=Decimal("10.00") + i % 90,
            stock=STOCK,
        )
        for i in range(PRODUCTS + 1)
    )
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    assert ids == list(range(ids[0], ids[0] + len(ids))), "product ids not contiguous"
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", username=f"bench{i}", password="!")
        for i in range(CUSTOMERS)
    )
    user_ids = [u.pk for u in User.objects.filter(email__startswith="bench")]
    tokens = [str(AccessToken.for_user(u)) for u in users]
    subprocess.run(["psql", f"{PG}/{DB_NAME}", "-qc", "VACUUM ANALYZE"], check=True)
    return ids[0], ids[-1], (min(user_ids), max(user_ids)), tokens


PGBENCH_SQL = r"""
\set p0 random(%(a0)d, %(b0)d)
\set p1 random(%(a1)d, %(b1)d)
\set p2 random(%(a2)d, %(b2)d)
\set uid random(%(u0)d, %(u1)d)
BEGIN;
SELECT id, name, sku, price, stock, is_active FROM catalog_product
  WHERE id IN (:p0, :p1, :p2) ORDER BY id FOR UPDATE;
INSERT INTO orders_order (customer_id, status, total, units, item_count,
  shipping_address, note, created_at, updated_at)
  VALUES (:uid, 'pending', 30.00, 3, 3, '1 Bench St', '', now(), now())
  RETURNING id \gset
INSERT INTO orders_orderitem (order_id, product_id, product_name, product_sku,
  unit_price, quantity, line_total, created_at) VALUES
  (:id, :p0, 'Bench product', 'BENCH', 10.00, 1, 10.00, now()),
  (:id, :p1, 'Bench product', 'BENCH', 10.00, 1, 10.00, now()),
  (:id, :p2, 'Bench product', 'BENCH', 10.00, 1, 10.00, now());
UPDATE catalog_product SET stock = CASE WHEN id = :p0 THEN stock - 1
  WHEN id = :p1 THEN stock - 1 WHEN id = :p2 THEN stock - 1 ELSE stock END
  WHERE id IN (:p0, :p1, :p2);
INSERT INTO catalog_stockmovement (product_id, delta, reason, note, order_id,
  user_id, created_at) VALUES
  (:p0, -1, 'order', '', :id, :uid, now()),
  (:p1, -1, 'order', '', :id, :uid, now()),
  (:p2, -1, 'order', '', :id, :uid, now());
INSERT INTO orders_orderstatuschange (order_id, from_status, to_status,
  changed_by_id, note, created_at) VALUES (:id, '', 'pending', :uid, '', now());
WITH event AS (
INSERT INTO core_outboxevent (id, type, aggregate_type, aggregate_id, payload,
  created_at) VALUES (gen_random_uuid(), 'order.placed',
  'order', :id, '{"schema_version": 1, "order_id": 1, "customer_id": 1,
  "status": "pending", "total": "30.00", "items": [
  {"product_id": 1, "sku": "BENCH", "name": "Bench product",
   "unit_price": "10.00", "quantity": 1, "line_total": "10.00"},
  {"product_id": 2, "sku": "BENCH", "name": "Bench product",
   "unit_price": "10.00", "quantity": 1, "line_total": "10.00"},
  {"product_id": 3, "sku": "BENCH", "name": "Bench product",
   "unit_price": "10.00", "quantity": 1, "line_total": "10.00"}]}', now())
  RETURNING id)
INSERT INTO outbox_delivery (handler, state, attempts, next_attempt_at,
  last_error, created_at, updated_at, event_id)
  SELECT 'orders.mail_placed', 'pending', 0, now(), '', now(), now(), id
  FROM event;
COMMIT;
"""


def order_count() -> int:
    out = subprocess.run(
        ["psql", f"{PG}/{DB_NAME}", "-Atc", "SELECT count(*) FROM orders_order"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout)


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout
    return [int(p) for p in out.split()]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK_TCK


def run_http(script: Path, clients: int, duration: int, master: int) -> dict:
    pids = worker_pids(master)
    before_orders, before_cpu = order_count(), cpu_seconds(pids)
    started = time.monotonic()
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{PORT}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.monotonic() - started
    assert worker_pids(master) == pids, "a worker restarted during the run"
    orders = order_count() - before_orders
    cpu = cpu_seconds(pids) - before_cpu
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {
        "ops": orders / elapsed,
        "cpu_ms": 1000 * cpu / orders if orders else float("nan"),
        "errors": int(errors.group(1)) if errors else 0,
        "p99": p99.group(1) if p99 else "?",
    }


def run_pgbench(script: Path, clients: int, duration: int) -> dict:
    out = subprocess.run(
        [
            "pgbench",
            "-n",
            f"-c{clients}",
            "-j2",
            f"-T{duration}",
            "-f",
            str(script),
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            DB_NAME,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    return {"ops": float(tps.group(1)), "errors": int(failed.group(1)) if failed else 0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    print("setting up", DB_NAME, "...", flush=True)
    first, last, (u0, u1), tokens = setup_database()
    tmp = Path(tempfile.mkdtemp(prefix="orders-bench-"))
    scripts = {}
    for name, hot in (("hot", True), ("spread", False)):
        ranges = product_ranges(first, last, hot)
        lua = tmp / f"{name}.lua"
        lua.write_text(
            WRK_LUA
            % {
                "tokens": ",".join(f'"{t}"' for t in tokens),
                "ranges": ",".join(f"{{{a},{b}}}" for a, b in ranges),
                "path": "/api/v1/orders/",
                "idempotency": "false",
            }
        )
        sql = tmp / f"{name}.sql"
        sql.write_text(
            PGBENCH_SQL
            % {
                "a0": ranges[0][0],
                "b0": ranges[0][1],
                "a1": ranges[1][0],
                "b1": ranges[1][1],
                "a2": ranges[2][0],
                "b2": ranges[2][1],
                "u0": u0,
                "u1": u1,
            }
        )
        scripts[name] = (lua, sql)

    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "shop.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--max-requests",
            "0",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    results: dict[tuple, list[dict]] = {}
    try:
        time.sleep(3)
        run_http(scripts["spread"][0], 8, 3, server.pid)  # warm-up
        for clients in (8, 32):
            for _ in range(args.rounds):
                for name in ("hot", "spread"):
                    lua, sql = scripts[name]
                    http = run_http(lua, clients, args.duration, server.pid)
                    results.setdefault(("http", name, clients), []).append(http)
                    bare = run_pgbench(sql, clients, args.duration)
                    results.setdefault(("pgbench", name, clients), []).append(bare)
                    print(
                        f"c={clients:<3} {name:<6} http {http['ops']:7.0f}/s "
                        f"({http['cpu_ms']:.2f} ms CPU/order, p99 {http['p99']}, "
                        f"{http['errors']} non-2xx)  pgbench {bare['ops']:7.0f} tps",
                        flush=True,
                    )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    def med(kind, name, clients, key="ops"):
        return statistics.median(r[key] for r in results[(kind, name, clients)])

    print()
    print(
        "| clients | basket | HTTP orders/s | app CPU ms/order | pgbench TPS "
        "| HTTP / pgbench |"
    )
    print("|---|---|---|---|---|---|")
    for clients in (8, 32):
        for name in ("hot", "spread"):
            http = med("http", name, clients)
            bare = med("pgbench", name, clients)
            cpu = med("http", name, clients, "cpu_ms")
            print(
                f"| {clients} | {name} | {http:,.0f} | {cpu:.2f} | {bare:,.0f} "
                f"| {http / bare:.1%} |"
            )
    for clients in (8, 32):
        ratio = med("http", "hot", clients) / med("http", "spread", clients)
        print(f"hot / spread over HTTP at {clients} clients: {ratio:.0%}")
    errors = sum(r["errors"] for rs in results.values() for r in rs)
    print(f"non-2xx responses / failed transactions in all runs: {errors}")


if __name__ == "__main__":
    main()

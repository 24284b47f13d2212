#!/usr/bin/env python
"""Checkout throughput: the shop's POST orders/ against the FastAPI peer's.

Usage (from the project root; PostgreSQL and Redis on 127.0.0.1, `wrk` installed, the
peer's virtualenv from bench/requirements-peer.txt):

    .venv/bin/python bench/checkout_bench.py --peer-python /tmp/peer-venv/bin/python \\
        [--rounds 3] [--duration 7] [--clients 8,32] [--baskets spread,hot] \\
        [--shop sync:3,gthread:2x8] [--no-peer] [--idempotency]

1. (Re)creates the PostgreSQL database `shop_bench_checkout`: 10,001 products with
   stock 10^9 and their opening movements (so `check_stock` holds), 200 customers, one
   JWT access token each (simplejwt, as the shop issues them).
2. Starts one gunicorn per `--shop` worker model (`sync:N` = N sync workers,
   `gthread:NxT` = N workers of T threads; production settings through
   bench.settings, throttles on with raised rates, cache and Celery broker on Redis as
   in production, so every order queues its outbox nudge) and the peer
   (`../shared/bench/peer_fastapi.py`, uvicorn 2 workers, `PEER_JWT_KEY` = the shop's
   signing key) on the same database.
3. For every client count and basket, loads the servers in turn (A B A B ... per
   round) with `wrk` POSTing 3-line orders with a random customer's token: **spread**
   = three random products out of 10,000, **hot** = product 1 plus two random ones.
   `--idempotency` sends a fresh `Idempotency-Key` with every shop order.
4. Counts the orders each run created (rows in orders_order), the CPU time of the
   server's process group (/proc, user + system) per order, and after every run checks
   that no stock is negative, that no product sold more than it had, and that every
   product's stock equals the sum of its movements (`check_stock`'s rule).
5. Prints per run orders/s, p99, CPU ms/order and the load average; then medians and
   shop / peer ratios per mode.
"""

import argparse
import json
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

from bench.product_list import (  # noqa: E402
    _load_average,
    group_cpu_seconds,
    peer_dir_find,
    peer_start,
    server_start,
)

PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "shop_bench_checkout"
PRODUCTS = 10_000  # plus the hot product
CUSTOMERS = 200
STOCK = 10**9
SECRET_KEY = "bench-" + secrets.token_urlsafe(40)
QUEUE = "bench-checkout"

WRK_LUA = """
local tokens = {%(tokens)s}
local ranges = {%(ranges)s}
local idempotency = %(idempotency)s
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local items = {}
  for i = 1, 3 do
    local r = ranges[i]
    items[i] = string.format('{"product":%%d,"quantity":1}', math.random(r[1], r[2]))
  end
  local body = '{"items":[' .. table.concat(items, ",")
    .. '],"shipping_address":"1 Bench St"}'
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
  }
  if idempotency then
    headers["Idempotency-Key"] = string.format("%%d-%%d-%%d", os.time(),
      math.random(1, 2147483647), math.random(1, 2147483647))
  end
  return wrk.format("POST", "%(path)s", headers, body)
end
"""

CHECK_SQL = """
SELECT
  (SELECT count(*) FROM catalog_product WHERE stock < 0) AS negative,
  (SELECT count(*) FROM catalog_product p
     LEFT JOIN (SELECT product_id, sum(quantity) AS sold FROM orders_orderitem
                GROUP BY product_id) s ON s.product_id = p.id
     WHERE p.stock + coalesce(s.sold, 0) <> %(stock)s) AS oversold,
  (SELECT count(*) FROM catalog_product p
     LEFT JOIN (SELECT product_id, sum(delta) AS total FROM catalog_stockmovement
                GROUP BY product_id) m ON m.product_id = p.id
     WHERE p.stock <> coalesce(m.total, 0)) AS drift
"""


def env_for(database_url: str, cache_url: str, broker_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CACHE_URL", "REDIS_URL", "CELERY_BROKER_URL", "JWT_SIGNING_KEY"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_QUEUE=QUEUE,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        THROTTLE_RATES="anon=1000000/min,user=1000000/min,auth=1000000/min",
        GUNICORN_MAX_REQUESTS="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def setup_database(env: dict[str, str]) -> tuple[int, int, list[str]]:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    os.environ.update(env)
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from shop.catalog.models import Product, StockMovement
    from shop.users.models import User

    call_command("migrate", verbosity=0)
    products = Product.objects.bulk_create(
        Product(
            name=f"Bench product {i}",
            slug=f"bench-{i}",
            sku=f"BENCH-{i:06d}",
            price=Decimal("10.00") + i % 90,
            stock=STOCK,
        )
        for i in range(PRODUCTS + 1)
    )
    StockMovement.objects.bulk_create(
        StockMovement(product=p, delta=STOCK, reason="initial") for p in products
    )
    ids = sorted(p.pk for p in products)
    assert ids == list(range(ids[0], ids[0] + len(ids))), "product ids not contiguous"
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", username=f"bench{i}", password="!")
        for i in range(CUSTOMERS)
    )
    tokens = [str(AccessToken.for_user(u)) for u in users]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return ids[0], ids[-1], tokens


def product_ranges(first: int, last: int, hot: bool) -> list[tuple[int, int]]:
    # Three disjoint ranges so that an order never repeats a product.
    pool = first + 1
    third = (last - pool + 1) // 3
    ranges = [(pool + k * third, pool + (k + 1) * third - 1) for k in range(3)]
    if hot:
        ranges[0] = (first, first)
    return ranges


def shop_start(model: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    """`sync:N`, `gthread:NxT` (gunicorn.conf.py) or `granian:NxT`."""
    return server_start(port, env, model)


def peer_dir_adapted(peer_dir: Path, tmp: Path, conn) -> Path:
    """The peer as shipped, or a copy that leaves out outbox columns the shop dropped.

    The peer was written when `core_outboxevent` still carried the delivery
    state (`attempts`, `last_error`); the shop has since moved it to
    `outbox_delivery`. Writing one column fewer changes nothing in the
    comparison; the shop's delivery row is its own extra work.
    """
    columns = {
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'core_outboxevent'"
        )
    }
    if {"attempts", "last_error"} <= columns:
        return peer_dir
    source = (peer_dir / "peer_fastapi.py").read_text()
    old = 'created_at=order.created_at, attempts=0, last_error="", payload={'
    assert old in source, "peer_fastapi.py changed: adapt peer_dir_adapted()"
    adapted = tmp / "peer"
    adapted.mkdir(exist_ok=True)
    (adapted / "peer_fastapi.py").write_text(
        source.replace(old, "created_at=order.created_at, payload={")
    )
    print("peer: core_outboxevent has no attempts/last_error; adapted copy in", adapted)
    return adapted


def order_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]


def ledger_check(conn) -> tuple[int, int, int]:
    return conn.execute(CHECK_SQL, {"stock": STOCK}).fetchone()


def run(conn, script: Path, port: int, pgid: int, clients: int, duration: int):
    before_orders, before_cpu = order_count(conn), group_cpu_seconds(pgid)
    started = time.monotonic()
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.monotonic() - started
    cpu = group_cpu_seconds(pgid) - before_cpu
    orders = order_count(conn) - before_orders
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    return {
        "ops": orders / elapsed,
        "cpu_ms": 1000 * cpu / orders if orders else float("nan"),
        "errors": int(errors.group(1)) if errors else 0,
        "p99": p99.group(1) if p99 else "?",
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=7)
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--baskets", default="spread,hot")
    parser.add_argument(
        "--shop",
        default="sync:3",
        help="comma-separated worker models: sync:N, gthread:NxT or granian:NxT",
    )
    parser.add_argument("--peer-python", default="/tmp/peer-venv/bin/python")
    parser.add_argument("--peer-dir", type=Path, default=peer_dir_find())
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--idempotency", action="store_true")
    parser.add_argument("--port", type=int, default=18441)
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    clients_list = [int(c) for c in args.clients.split(",")]
    baskets = args.baskets.split(",")

    import psycopg
    import redis

    print(f"load average at start: {_load_average()}", flush=True)
    database_url = f"{PG}/{DB_NAME}"
    env = env_for(database_url, args.cache_url, args.broker_url)
    first, last, tokens = setup_database(env)
    broker = redis.Redis.from_url(args.broker_url)
    broker.delete(QUEUE)

    tmp = Path(tempfile.mkdtemp(prefix="checkout-bench-"))
    ports = iter(range(args.port, args.port + 20))
    targets: dict[str, dict] = {}
    servers = []
    try:
        for model in args.shop.split(","):
            port = next(ports)
            servers.append(shop_start(model, port, env))
            targets[f"shop {model}"] = {
                "port": port,
                "pgid": servers[-1].pid,
                "path": "/api/v1/orders/",
            }
        if not args.no_peer:
            port = next(ports)
            with psycopg.connect(database_url, autocommit=True) as conn:
                peer_dir = peer_dir_adapted(args.peer_dir, tmp, conn)
            servers.append(
                peer_start(
                    args.peer_python,
                    peer_dir,
                    port,
                    database_url,
                    {"PEER_JWT_KEY": SECRET_KEY},
                )
            )
            targets["peer"] = {
                "port": port,
                "pgid": servers[-1].pid,
                "path": "/orders/",
            }
        for name, target in targets.items():
            for basket in baskets:
                script = tmp / f"{name.replace(' ', '_')}-{basket}.lua"
                script.write_text(
                    WRK_LUA
                    % {
                        "tokens": ",".join(json.dumps(t) for t in tokens),
                        "ranges": ",".join(
                            f"{{{a},{b}}}"
                            for a, b in product_ranges(first, last, basket == "hot")
                        ),
                        "path": target["path"],
                        "idempotency": "true"
                        if args.idempotency and name != "peer"
                        else "false",
                    }
                )
                target[basket] = script

        results: dict[tuple, list[dict]] = {}
        problems = 0
        with psycopg.connect(database_url, autocommit=True) as conn:
            for target in targets.values():  # warm-up: imports, connections, caches
                run(conn, target[baskets[0]], target["port"], target["pgid"], 8, 2)
            for clients in clients_list:
                for basket in baskets:
                    for round_no in range(1, args.rounds + 1):
                        for name, target in targets.items():
                            result = run(
                                conn,
                                target[basket],
                                target["port"],
                                target["pgid"],
                                clients,
                                args.duration,
                            )
                            negative, oversold, drift = ledger_check(conn)
                            bad = result["errors"] + negative + oversold + drift
                            problems += bad
                            results.setdefault((name, basket, clients), []).append(
                                result
                            )
                            print(
                                f"c={clients:<3} {basket:<6} round {round_no} "
                                f"{name:<18} {result['ops']:6.0f} orders/s  "
                                f"CPU {result['cpu_ms']:5.2f} ms/order  "
                                f"p99 {result['p99']:>8}  non-2xx {result['errors']}  "
                                "negative/oversold/drift "
                                f"{negative}/{oversold}/{drift}  "
                                f"load {_load_average()}",
                                flush=True,
                            )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
        broker.delete(QUEUE)

    def med(name, basket, clients, key):
        return statistics.median(r[key] for r in results[(name, basket, clients)])

    loads = [r["load"] for rs in results.values() for r in rs]
    print(
        f"\nmedians of {args.rounds} rounds of {args.duration} s, load average "
        f"(1 min) {min(loads):.1f}-{max(loads):.1f} during the runs"
    )
    shops = [name for name in targets if name != "peer"]
    header = "| clients | basket | " + " | ".join(
        f"{name} orders/s (CPU ms)" for name in targets
    )
    if "peer" in targets:
        header += " | " + " | ".join(f"{name} / peer" for name in shops)
    print(header + " |")
    print("|---" * (2 + len(targets) + (len(shops) if "peer" in targets else 0)) + "|")
    for clients in clients_list:
        for basket in baskets:
            cells = [
                f"{med(n, basket, clients, 'ops'):,.0f} "
                f"({med(n, basket, clients, 'cpu_ms'):.2f})"
                for n in targets
            ]
            if "peer" in targets:
                peer = med("peer", basket, clients, "ops")
                peer_cpu = med("peer", basket, clients, "cpu_ms")
                cells += [
                    f"{med(n, basket, clients, 'ops') / peer:.2f}x "
                    f"(CPU {med(n, basket, clients, 'cpu_ms') / peer_cpu:.2f}x)"
                    for n in shops
                ]
            print(f"| {clients} | {basket} | " + " | ".join(cells) + " |")
    if "hot" in baskets and "spread" in baskets:
        for name in targets:
            ratios = ", ".join(
                f"{med(name, 'hot', c, 'ops') / med(name, 'spread', c, 'ops'):.0%} "
                f"at {c}"
                for c in clients_list
            )
            print(f"hot / spread, {name}: {ratios}")
    print(f"non-2xx, negative stocks, oversold or drifting products: {problems}")
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

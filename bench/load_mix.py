#!/usr/bin/env python
"""A realistic request mix against gunicorn on PostgreSQL: RPS, p50, p99.

Seeds database `shop_load` (staff, a pool of customers, products, some
orders), starts gunicorn (sync workers, production settings via
bench.settings, throttles raised) and drives it with an asyncio client
(httpx) of --users virtual users, each picking the next request by weight:

  browse product lists (filters, search, ordering) and product details,
  categories, register + log in, log in, place an order (1-3 lines, with an
  Idempotency-Key), cancel one of one's pending orders, list one's orders,
  one's summary, staff reports (sales, top products, status).

First a floor phase runs only GET /health/live (a plain Django view on the
same server: no database, no DRF) at the same concurrency, then the mix.
Prints a table per phase: requests, share, RPS, p50, p99 and non-2xx per
endpoint. The client runs on the same machine, so it competes for the CPU.

    .venv/bin/python bench/load_mix.py [--users 16] [--seconds 60]
        [--workers 2] [--port 18330] [--instances 1|2] [--redis-url URL]
        [--base-url URL]

--instances 2 starts two gunicorn masters behind HAProxy (deploy/haproxy.cfg,
round-robin, NUM_PROXIES=1); --redis-url gives every instance the shared
Redis cache a multi-instance deployment needs (use a spare database number);
--base-url drives an already running deployment (seeded by
tests.system.seed) instead of starting one.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.system import harness  # noqa: E402

# (name, weight): about what a shop front sees, browsing first.
MIX = [
    ("GET products list", 30),
    ("GET products list filtered", 10),
    ("GET product detail", 22),
    ("GET categories", 4),
    ("POST register+token", 1),
    ("POST token", 3),
    ("POST orders", 10),
    ("POST orders/{id}/cancel", 3),
    ("GET orders (mine)", 6),
    ("GET orders/summary", 3),
    ("GET reports (staff)", 3),
    ("GET health/live", 5),
]


@dataclass
class Stats:
    latencies: dict = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter = field(default_factory=collections.Counter)
    error_samples: dict = field(default_factory=dict)

    def record(self, name: str, seconds: float, status: int | str) -> None:
        self.latencies[name].append(seconds)
        ok = isinstance(status, int) and 200 <= status < 300
        if not ok:
            self.errors[name] += 1
            self.error_samples.setdefault(f"{name} {status}", 0)
            self.error_samples[f"{name} {status}"] += 1


@dataclass
class World:
    base_url: str
    customers: list  # (email, token)
    staff_token: str
    product_ids: list
    category_ids: list


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def _timed(stats, name, coro):
    started = time.perf_counter()
    try:
        response = await coro
        status = response.status_code
    except httpx.HTTPError as exc:
        response, status = None, type(exc).__name__
    stats.record(name, time.perf_counter() - started, status)
    return response


async def virtual_user(
    index: int, world: World, stats: Stats, until: float, think: float, only=None
):
    rng = random.Random(index)
    email, token = world.customers[index % len(world.customers)]
    auth = {"Authorization": f"Bearer {token}"}
    staff = {"Authorization": f"Bearer {world.staff_token}"}
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]
    pending: list[int] = []
    async with httpx.AsyncClient(base_url=world.base_url, timeout=30) as client:
        while time.monotonic() < until:
            name = only or rng.choices(names, weights)[0]
            if name == "GET products list":
                await _timed(stats, name, client.get("/api/v1/products/"))
            elif name == "GET products list filtered":
                params = rng.choice(
                    [
                        {"category": rng.choice(world.category_ids)},
                        {"ordering": "-price", "in_stock": "true"},
                        {"search": f"Product {rng.randint(1, 99)}"},
                        {"min_price": "20", "max_price": "80", "offset": 20},
                    ]
                )
                await _timed(
                    stats, name, client.get("/api/v1/products/", params=params)
                )
            elif name == "GET product detail":
                pid = rng.choice(world.product_ids)
                await _timed(stats, name, client.get(f"/api/v1/products/{pid}/"))
            elif name == "GET categories":
                await _timed(stats, name, client.get("/api/v1/categories/"))
            elif name == "POST register+token":
                new = f"load-{uuid.uuid4().hex[:12]}@example.com"
                body = {"email": new, "password": harness.PASSWORD}

                async def register_and_login(body=body):
                    first = await client.post("/api/v1/auth/register/", json=body)
                    if first.status_code != 201:
                        return first
                    return await client.post("/api/v1/auth/token/", json=body)

                await _timed(stats, name, register_and_login())
            elif name == "POST token":
                body = {"email": email, "password": harness.PASSWORD}
                await _timed(stats, name, client.post("/api/v1/auth/token/", json=body))
            elif name == "POST orders":
                lines = rng.sample(world.product_ids, rng.randint(1, 3))
                body = {
                    "items": [
                        {"product": p, "quantity": rng.randint(1, 2)} for p in lines
                    ]
                }
                headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
                response = await _timed(
                    stats,
                    name,
                    client.post("/api/v1/orders/", json=body, headers=headers),
                )
                if response is not None and response.status_code == 201:
                    pending.append(response.json()["id"])
            elif name == "POST orders/{id}/cancel":
                if not pending:
                    continue
                order_id = pending.pop(rng.randrange(len(pending)))
                await _timed(
                    stats,
                    name,
                    client.post(f"/api/v1/orders/{order_id}/cancel/", headers=auth),
                )
            elif name == "GET orders (mine)":
                await _timed(stats, name, client.get("/api/v1/orders/", headers=auth))
            elif name == "GET orders/summary":
                await _timed(
                    stats, name, client.get("/api/v1/orders/summary/", headers=auth)
                )
            elif name == "GET reports (staff)":
                path = rng.choice(
                    [
                        "/api/v1/reports/sales/?group_by=day",
                        "/api/v1/reports/top-products/?limit=10",
                        "/api/v1/reports/status/",
                    ]
                )
                await _timed(stats, name, client.get(path, headers=staff))
            elif name == "GET health/live":
                await _timed(stats, name, client.get("/health/live"))
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))


async def run_phase(world, users, seconds, think=0.0, only=None) -> tuple[Stats, float]:
    stats = Stats()
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(
        *(virtual_user(i, world, stats, until, think, only) for i in range(users))
    )
    return stats, time.monotonic() - started


def table(stats: Stats, elapsed: float) -> str:
    total = sum(len(v) for v in stats.latencies.values())
    rows = [
        "| endpoint | requests | share | req/s | p50 ms | p99 ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _ in MIX:
        values = stats.latencies.get(name)
        if not values:
            continue
        rows.append(
            f"| {name} | {len(values)} | {100 * len(values) / total:.0f} % "
            f"| {len(values) / elapsed:.1f} | {1000 * percentile(values, 0.5):.1f} "
            f"| {1000 * percentile(values, 0.99):.1f} | {stats.errors[name]} |"
        )
    every = [v for values in stats.latencies.values() for v in values]
    rows.append(
        f"| **all** | {total} | 100 % | {total / elapsed:.1f} "
        f"| {1000 * percentile(every, 0.5):.1f} | {1000 * percentile(every, 0.99):.1f} "
        f"| {sum(stats.errors.values())} |"
    )
    return "\n".join(rows)


def prepare_world(db: str, base_url: str, customers: int) -> World:
    """Log in the seeded staff user and register a pool of customers."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        pool = []
        for i in range(customers):
            email = f"mix-{i}@example.com"
            client.post(
                "/api/v1/auth/register/",
                json={"email": email, "password": harness.PASSWORD},
            ).raise_for_status()
            pool.append((email, harness.obtain_token(base_url, email)))
        products = client.get("/api/v1/products/", params={"limit": 100}).json()
        categories = client.get("/api/v1/categories/").json()
    rows = categories["results"] if isinstance(categories, dict) else categories
    return World(
        base_url=base_url,
        customers=pool,
        staff_token=harness.obtain_token(base_url, harness.STAFF_EMAIL),
        product_ids=[p["id"] for p in products["results"]],
        category_ids=[c["id"] for c in rows],
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    import os

    mem = Path("/proc/meminfo").read_text().split()[1]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} vCPU ({cpu}), {int(mem) // 1024} MiB RAM, "
        f"load average {load}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--db", default="shop_load")
    parser.add_argument("--port", type=int, default=18330)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--floor-seconds", type=float, default=15)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--instances", type=int, choices=(1, 2), default=1)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--base-url", default="")
    args = parser.parse_args()

    if args.base_url:
        print(f"machine: {machine()}; driving {args.base_url}")
        return measure(args, args.base_url)
    env = harness.prepare_database(args.db, products=args.products, stock=10**6)
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    print(
        f"machine: {machine()}; {args.instances} instance(s) of gunicorn with "
        f"{args.workers} sync workers; cache: {args.redis_url or 'local memory'}; "
        f"{args.users} concurrent client users on the same machine"
    )
    if args.instances == 1:
        with harness.Server(env, port=args.port, workers=args.workers) as server:
            return measure(args, server.base_url)
    import tempfile

    from tests.system import clusters

    env["NUM_PROXIES"] = "1"
    servers = [
        harness.Server(env, port=args.port + i, workers=args.workers) for i in (1, 2)
    ]
    balancer = None
    try:
        for server in servers:
            server.start()
        balancer = clusters.start_haproxy(
            Path(tempfile.mkdtemp(prefix="shop-bench-lb-")),
            port=args.port,
            web=[s.port for s in servers],
        )
        return measure(args, f"http://127.0.0.1:{args.port}")
    finally:
        if balancer is not None:
            balancer.stop()
        for server in servers:
            server.stop()


def measure(args, base_url: str) -> int:
    world = prepare_world(args.db, base_url, customers=args.users)
    # Warm every worker's connections and caches before measuring.
    asyncio.run(run_phase(world, args.users, 3))
    floor, elapsed = asyncio.run(
        run_phase(world, args.users, args.floor_seconds, only="GET health/live")
    )
    print(f"\n## Floor: GET /health/live only, {elapsed:.0f} s\n")
    print(table(floor, elapsed))
    mix, elapsed = asyncio.run(run_phase(world, args.users, args.seconds))
    print(f"\n## Mix, {elapsed:.0f} s\n")
    print(table(mix, elapsed))
    print(f"\nafter the run: {machine()}")
    if mix.error_samples:
        print("\nnon-2xx:", dict(mix.error_samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Product list throughput: the shop's list against a minimal DRF list.

Seeds PostgreSQL database `shop_bench` with 100k products (bulk insert, once),
starts gunicorn (2 sync workers, production settings, throttles raised) and
loads, alternately (A B C A B C ...), in the same run:

  shop        GET /api/v1/products/       the shop as configured (public total
                                          cached for 10 s)
  shop exact  GET /api/v1/products/       the shop with that cache off
  naive DRF   GET /bench/naive-products/  ListAPIView + ModelSerializer(__all__)

All answer the same 20 active rows with the same pagination, throttling and
authentication classes. Prints requests/s, p50 and p99 per round, medians and
the ratios to the baseline. Uses `wrk` when installed (apt-get install wrk),
else a small threaded Python client (slower: compare ratios only).

    .venv/bin/python bench/product_list.py [--rows 100000] [--rounds 3]
        [--duration 10] [--connections 16] [--port 18301]
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# name: (server, path); server "cached" runs with the shop's default 10 s
# cache of the public total, server "exact" with it off (COUNT(*) every time).
SERVERS = {
    "shop": ("cached", "/api/v1/products/"),
    "shop exact": ("exact", "/api/v1/products/"),
    "naive DRF": ("exact", "/bench/naive-products/"),
}


def bench_env(database_url: str, count_cache_seconds: int = 0) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SHOP_PRODUCT_COUNT_CACHE_SECONDS=str(count_cache_seconds),
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        THROTTLE_RATES="anon=1000000/min,user=1000000/min,auth=1000000/min",
        PYTHONPATH=str(ROOT),
    )
    return env


def database_prepare(database_url: str, rows: int) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(
        os.environ.get("BENCH_PG_ADMIN_URL", PG_ADMIN_URL), autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(bench_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shop.catalog.models import Category, Product, StockMovement

    call_command("migrate", verbosity=0)
    have = Product.objects.count()
    if have >= rows:
        print(f"database {name}: {have} products already")
        return
    started = time.perf_counter()
    categories = [
        Category.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"C{n}"})[0]
        for n in range(20)
    ]
    batch = 5000
    for start in range(have, rows, batch):
        products = Product.objects.bulk_create(
            Product(
                name=f"Bench product {n}",
                slug=f"bench-product-{n}",
                sku=f"BENCH-{n:07d}",
                description=f"Benchmark product number {n}, a sturdy thing.",
                category=categories[n % len(categories)],
                price=f"{n % 500 + 1}.99",
                stock=n % 40,
                is_active=n % 10 != 0,
            )
            for n in range(start, min(start + batch, rows))
        )
        StockMovement.objects.bulk_create(
            StockMovement(product=p, delta=p.stock, reason="initial")
            for p in products
            if p.stock
        )
    with connection.cursor() as cursor:
        # Fresh statistics and visibility map, as autovacuum would leave them.
        cursor.execute("VACUUM ANALYZE catalog_product")
    took = time.perf_counter() - started
    print(f"database {name}: seeded {rows - have} products in {took:.1f}s")


def cpu_per_request(rounds: int, requests: int = 150) -> dict[str, float]:
    """Application CPU per request, in process (PostgreSQL's time excluded).

    Wall-clock throughput on a shared 2-core box swings with whatever else
    runs; process CPU time per request is the steadier figure for comparing
    the two code paths.
    """
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    paths = {
        name: path for name, (server, path) in SERVERS.items() if server == "exact"
    }
    samples: dict[str, list[float]] = {name: [] for name in paths}
    for path in paths.values():
        for _ in range(20):
            client.get(path)
    for _ in range(rounds):
        for name, path in paths.items():
            started = time.process_time()
            for _ in range(requests):
                response = client.get(path)
            assert response.status_code == 200, response.content
            samples[name].append((time.process_time() - started) / requests * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def server_start(port: int, env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "shop.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
        ],
        env=env,
        start_new_session=True,
    )
    return _when_up(process, port, "/health/live", "gunicorn")


def _when_up(process, port: int, path: str, name: str) -> subprocess.Popen:
    """Return the server process once `path` answers 200; stop it otherwise."""
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit(f"{name} did not come up on port {port}")


def peer_start(python: str, port: int, database_url: str) -> subprocess.Popen:
    """Start the FastAPI peer (uvicorn, 2 workers) from its own virtualenv."""
    peer_dir = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
    env = dict(os.environ)
    env["PEER_DB_URL"] = database_url.replace("postgres://", "postgresql+asyncpg://")
    process = subprocess.Popen(
        [
            python,
            "-m",
            "uvicorn",
            "peer_fastapi:app",
            "--app-dir",
            str(peer_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        start_new_session=True,
    )
    return _when_up(process, port, "/products/", "the FastAPI peer")


def _seconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def load_wrk(url: str, duration: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _seconds(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _seconds(re.search(r"\s99%\s+(\S+)", out).group(1))
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {url}:\n{out}")
    return {"rps": rps, "p50": p50 * 1000, "p99": p99 * 1000}


def load_python(url: str, duration: int, connections: int) -> dict[str, float]:
    host, port_path = url.split("//", 1)[1].split(":", 1)
    port, path = port_path.split("/", 1)
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def worker():
        conn = http.client.HTTPConnection(host, int(port))
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.request("GET", "/" + path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{response.status} from {url}")
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "rps": len(latencies) / duration,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=18301)
    parser.add_argument(
        "--peer-python",
        help="python of a virtualenv with fastapi, uvicorn, sqlalchemy and "
        "asyncpg: also load ../shared/bench/peer_fastapi.py (SPEC §10 peer) "
        "on the same table, in the same rounds",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop_bench"
        ),
    )
    args = parser.parse_args()

    database_prepare(args.database_url, args.rows)
    cpu = cpu_per_request(args.rounds)
    for name, ms in cpu.items():
        print(f"app CPU per request {name:>10}: {ms:.2f} ms (exact count)")
    load = load_wrk if shutil.which("wrk") else load_python
    print(f"load generator: {'wrk' if load is load_wrk else 'python threads'}")
    ports = {"exact": args.port, "cached": args.port + 1}
    servers = [
        server_start(ports["exact"], bench_env(args.database_url, 0)),
        server_start(ports["cached"], bench_env(args.database_url, 10)),
    ]
    if args.peer_python:
        ports["peer"] = args.port + 2
        SERVERS["FastAPI peer"] = ("peer", "/products/")
        servers.append(peer_start(args.peer_python, ports["peer"], args.database_url))
    results: dict[str, list[dict[str, float]]] = {name: [] for name in SERVERS}
    try:
        for server, path in SERVERS.values():  # warm-up: connections, caches
            load(f"http://127.0.0.1:{ports[server]}{path}", 2, args.connections)
        for round_no in range(1, args.rounds + 1):
            for name, (server, path) in SERVERS.items():
                url = f"http://127.0.0.1:{ports[server]}{path}"
                result = load(url, args.duration, args.connections)
                results[name].append(result)
                print(
                    f"round {round_no} {name:>10}: {result['rps']:8.0f} req/s  "
                    f"p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms"
                )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    medians = {
        name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
        for name, runs in results.items()
    }
    print("\nmedians")
    for name, m in medians.items():
        print(
            f"  {name:>10}: {m['rps']:8.0f} req/s  p50 {m['p50']:6.2f} ms  "
            f"p99 {m['p99']:6.2f} ms"
        )
    naive = medians["naive DRF"]["rps"]
    for name in ("shop", "shop exact"):
        print(f"  {name} / naive DRF throughput: {medians[name]['rps'] / naive:.2f}x")
    if "FastAPI peer" in medians:
        peer = medians["FastAPI peer"]["rps"]
        for name in ("shop", "shop exact"):
            ratio = medians[name]["rps"] / peer
            print(f"  {name} / FastAPI peer throughput: {ratio:.2f}x")
    print(
        "  app CPU per request, naive DRF / shop exact: "
        f"{cpu['naive DRF'] / cpu['shop exact']:.2f}x"
    )


if __name__ == "__main__":
    main()

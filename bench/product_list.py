#!/usr/bin/env python
"""Product list throughput: the shop against the FastAPI peer, like for like.

Seeds PostgreSQL database `shop_bench` with 100k products (bulk insert, once),
then runs, on the same table and alternately (A B C D A B C D ...) in one run:

  shop   cached  gunicorn (2 sync workers, production settings, throttles
                 raised), GET /api/v1/products/, public total cached for
                 --count-cache-seconds (the shop's default, 10)
  peer   cached  ../shared/bench/peer_fastapi.py (uvicorn, 2 workers),
                 GET /products/, started with PEER_COUNT_CACHE_SECONDS set to
                 the same seconds
  shop   exact   the shop with its count cache off (COUNT(*) every request)
  peer   exact   the peer with PEER_COUNT_CACHE_SECONDS=0
  naive  exact   (--naive) ListAPIView + ModelSerializer(__all__)

Every side answers the same 20 active rows of the same table. The shop keeps
its cache (count cache and throttle counters) in Redis as in production
(--cache-url; "locmem" for the per-process cache). Prints requests/s, p50 and
p99 per round with the load average, medians, and shop/peer per mode. Uses
`wrk` when installed (apt-get install wrk), else a threaded Python client.

The peer runs from its own virtualenv (bench/requirements-peer.txt):

    python3 -m venv /tmp/peer-venv
    /tmp/peer-venv/bin/pip install -r bench/requirements-peer.txt
    .venv/bin/python bench/product_list.py --peer-python /tmp/peer-venv/bin/python
        [--rows 100000] [--rounds 3] [--duration 10] [--connections 16]
        [--count-cache-seconds 10] [--cache-url redis://127.0.0.1:6379/15]
        [--peer-dir ../shared/bench] [--naive] [--port 18301]
"""

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SHOP_PATH = "/api/v1/products/"


def bench_env(
    database_url: str, count_cache_seconds: int = 0, cache_url: str = ""
) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CACHE_URL", None)
    env.pop("REDIS_URL", None)
    if cache_url and cache_url != "locmem":
        env["CACHE_URL"] = cache_url
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
        # Worker recycling (gunicorn.conf.py, a leak guard) would restart
        # Django every few seconds at these rates; the peer never restarts.
        GUNICORN_MAX_REQUESTS="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def database_prepare(database_url: str, rows: int, cache_url: str = "") -> None:
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
    os.environ.pop("CACHE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.update(bench_env(database_url, 0, cache_url))
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


def cpu_per_request(
    rounds: int, count_cache_seconds: int, requests: int = 300
) -> dict[str, float]:
    """The shop's application CPU per list request, in process.

    Wall-clock throughput on a shared 2-core box swings with whatever else
    runs; process CPU time per request (PostgreSQL's and Redis's excluded) is
    the steadier figure for comparing code paths.
    """
    from django.test import Client, override_settings

    client = Client(SERVER_NAME="127.0.0.1")
    modes = {"cached": count_cache_seconds, "exact": 0}
    samples: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(rounds):
        for mode, seconds in modes.items():
            with override_settings(SHOP_PRODUCT_COUNT_CACHE_SECONDS=seconds):
                for _ in range(20):
                    client.get(SHOP_PATH)
                started = time.process_time()
                for _ in range(requests):
                    response = client.get(SHOP_PATH)
                took = time.process_time() - started
            assert response.status_code == 200, response.content
            samples[mode].append(took / requests * 1000)
    return {mode: statistics.median(values) for mode, values in samples.items()}


def server_start(port: int, env: dict[str, str], model: str = "") -> subprocess.Popen:
    """gunicorn with gunicorn.conf.py; `model` `sync:N` or `gthread:NxT`
    overrides its worker model (default: what gunicorn.conf.py ships)."""
    env = dict(env)
    kind, _, size = model.partition(":")
    workers, _, threads = size.partition("x")
    if kind == "granian":
        return _granian_start(port, env, int(workers), int(threads or 1))
    if model:
        env.update(
            WEB_CONCURRENCY=workers,
            GUNICORN_WORKER_CLASS=kind,
            GUNICORN_THREADS=threads or "1",
        )
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "shop.wsgi:application",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
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


def _granian_start(
    port: int, env: dict[str, str], workers: int, threads: int
) -> subprocess.Popen:
    """Granian (a Rust HTTP server) serving the same WSGI application:
    `workers` processes of `threads` blocking threads each. Not a project
    dependency: `.venv/bin/pip install granian==2.8.7` to compare."""
    granian = ROOT / ".venv" / "bin" / "granian"
    if not granian.exists():
        raise SystemExit(f"{granian} not found: .venv/bin/pip install granian==2.8.7")
    process = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "wsgi",
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--working-dir",
            str(ROOT),
            "shop.wsgi:application",
        ],
        env=env,
        start_new_session=True,
    )
    return _when_up(process, port, "/health/live", "granian")


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


def peer_dir_find() -> Path | None:
    """`shared/bench` next to this checkout or one of its parents."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "bench"
        if (candidate / "peer_fastapi.py").is_file():
            return candidate
    return None


def peer_start(
    python: str, peer_dir: Path, port: int, database_url: str, env: dict[str, str]
) -> subprocess.Popen:
    """Start the FastAPI peer (uvicorn, 2 workers) from its own virtualenv.

    `env` adds the peer's own settings (PEER_COUNT_CACHE_SECONDS, PEER_JWT_KEY).
    """
    env = {**os.environ, **env}
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


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) of every live process in process group `pgid`."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state ppid pgrp ... utime (12th) stime (13th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _cache_url_default() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return "locmem"
    return "redis://127.0.0.1:6379/15"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=18301)
    parser.add_argument(
        "--count-cache-seconds",
        type=int,
        default=10,
        help="the shop's SHOP_PRODUCT_COUNT_CACHE_SECONDS in the cached mode; "
        "the peer gets the same as PEER_COUNT_CACHE_SECONDS",
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL") or _cache_url_default(),
        help="the shop's CACHE_URL (default: Redis on 127.0.0.1:6379 db 15 "
        "when it answers), or 'locmem' for the per-process cache",
    )
    parser.add_argument(
        "--peer-python",
        help="python of a virtualenv with bench/requirements-peer.txt: load "
        "the FastAPI peer (SPEC section 10) on the same table in the same rounds",
    )
    parser.add_argument("--peer-dir", type=Path, default=peer_dir_find())
    parser.add_argument(
        "--naive", action="store_true", help="also load a naive DRF list"
    )
    parser.add_argument(
        "--shop",
        default="",
        help="comma-separated worker models to load side by side, sync:N or "
        "gthread:NxT (default: the one gunicorn.conf.py ships)",
    )
    parser.add_argument("--modes", default="cached,exact", help="cached, exact or both")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop_bench"
        ),
    )
    args = parser.parse_args()
    if args.peer_python and not (args.peer_dir and args.peer_dir.is_dir()):
        parser.error("peer_fastapi.py not found: give --peer-dir")

    print(f"load average at start: {_load_average()}")
    database_prepare(args.database_url, args.rows, args.cache_url)
    cpu = cpu_per_request(args.rounds, args.count_cache_seconds)
    for mode, ms in cpu.items():
        print(f"shop app CPU per request, {mode:>6}: {ms:.2f} ms (in process)")
    load = load_wrk if shutil.which("wrk") else load_python
    print(f"load generator: {'wrk' if load is load_wrk else 'python threads'}")
    print(f"shop cache: {args.cache_url}")

    # name: (port, path); started below, loaded in this order every round.
    targets: dict[str, tuple[int, str]] = {}
    servers = []
    groups: dict[str, int] = {}
    port = iter(range(args.port, args.port + 10))
    try:
        models = args.shop.split(",") if args.shop else [""]
        for mode, seconds in (("cached", args.count_cache_seconds), ("exact", 0)):
            if mode not in args.modes.split(","):
                continue
            env = bench_env(args.database_url, seconds, args.cache_url)
            for model in models:
                name = f"shop {mode}" + (f" {model}" if len(models) > 1 else "")
                targets[name] = (next(port), SHOP_PATH)
                servers.append(server_start(targets[name][0], env, model))
                groups[name] = servers[-1].pid
            if args.peer_python:
                targets[f"peer {mode}"] = (next(port), "/products/")
                servers.append(
                    peer_start(
                        args.peer_python,
                        args.peer_dir,
                        targets[f"peer {mode}"][0],
                        args.database_url,
                        {"PEER_COUNT_CACHE_SECONDS": str(seconds)},
                    )
                )
                groups[f"peer {mode}"] = servers[-1].pid
        if args.naive and "shop exact" in targets:
            targets["naive exact"] = (
                targets["shop exact"][0],
                "/bench/naive-products/",
            )
        results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for port_no, path in targets.values():  # warm-up: connections, caches
            load(f"http://127.0.0.1:{port_no}{path}", 2, args.connections)
        for round_no in range(1, args.rounds + 1):
            for name, (port_no, path) in targets.items():
                url = f"http://127.0.0.1:{port_no}{path}"
                cpu_before = group_cpu_seconds(groups[name])
                result = load(url, args.duration, args.connections)
                served = result["rps"] * args.duration
                cpu_used = group_cpu_seconds(groups[name]) - cpu_before
                result["cpu"] = cpu_used / served * 1000 if served else 0.0
                results[name].append(result)
                print(
                    f"round {round_no} {name:>12}: {result['rps']:8.0f} req/s  "
                    f"p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms  "
                    f"server CPU {result['cpu']:5.2f} ms/req  load {_load_average()}"
                )
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    medians = {
        name: {
            k: statistics.median(r[k] for r in runs)
            for k in ("rps", "p50", "p99", "cpu")
        }
        for name, runs in results.items()
    }
    print(f"\nmedians of {args.rounds} rounds (load average now {_load_average()})")
    for name, m in medians.items():
        print(
            f"  {name:>12}: {m['rps']:8.0f} req/s  p50 {m['p50']:6.2f} ms  "
            f"p99 {m['p99']:6.2f} ms  server CPU {m['cpu']:5.2f} ms/req"
        )
    for mode in ("cached", "exact"):
        if f"peer {mode}" not in medians:
            continue
        peer = medians[f"peer {mode}"]
        what = (
            f"total cached {args.count_cache_seconds} s on both"
            if mode == "cached"
            else "COUNT(*) every request on both"
        )
        for name, m in medians.items():
            if name.startswith(f"shop {mode}"):
                print(
                    f"  {name} / peer, {what}: {m['rps'] / peer['rps']:.2f}x "
                    f"requests/s, {m['cpu'] / peer['cpu']:.2f}x server CPU per request"
                )
    if "naive exact" in medians and "shop exact" in medians:
        ratio = medians["shop exact"]["rps"] / medians["naive exact"]["rps"]
        print(f"  shop / naive DRF, both counting every request: {ratio:.2f}x")


if __name__ == "__main__":
    main()

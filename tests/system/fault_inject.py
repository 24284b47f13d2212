"""Fault injection: order load with retrying clients while the stack breaks.

Scenarios (run one or several):

  kill     SIGKILL a random gunicorn worker every --kill-every seconds
  dbterm   pg_terminate_backend() every connection of the app's database
  pgrestart  restart the whole PostgreSQL cluster once (affects every database
           on the server: run it alone and rarely)

Each scenario gets a fresh `shop_fault` database and gunicorn (sync workers)
on loopback. Client threads place orders (1-3 lines) with an Idempotency-Key
and retry the same key with the same body on connection errors, 5xx, 409
"in progress" and 429, and cancel some of their orders. Afterwards:

  * no order without items; every total equals the sum of its lines and
    every line equals unit price x quantity
  * stock >= 0 and equal to its ledger (SQL, and `manage.py check_stock`)
  * one order per idempotency key (server side: key rows vs orders; client
    side: every 201 for a key names the same order)
  * /health/ready answers 200 again with the same gunicorn master
  * no 5xx once the fault is over

Prints what the clients saw (status counts during and after the fault) and
the recovery time; writes the summary as JSON to --out.

    .venv/bin/python -m tests.system.fault_inject kill dbterm
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx
import psycopg

from tests.system import harness

RETRYABLE_409 = "idempotency_key_in_progress"
PRODUCTS = 12
STOCK = 400


@dataclass
class Observed:
    """What the clients saw, shared between threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: list = field(default_factory=list)  # (t, phase, kind, status)
    key_orders: dict = field(default_factory=lambda: collections.defaultdict(set))
    outcomes: collections.Counter = field(default_factory=collections.Counter)

    def attempt(self, kind: str, status: str, phase: str) -> None:
        with self.lock:
            self.attempts.append((time.monotonic(), phase, kind, status))


class Phase:
    """'fault' while faults are injected, then 'after'."""

    def __init__(self):
        self.value = "before"


def _status_of(response: httpx.Response | None, exc: Exception | None) -> str:
    if exc is not None:
        return type(exc).__name__
    return str(response.status_code)


def _code(response: httpx.Response) -> str | None:
    try:
        return response.json().get("code")
    except ValueError:
        return None


def customer_loop(base_url, token, stop, observed, phase, rng, product_ids):
    client = httpx.Client(
        base_url=base_url,
        timeout=20,
        headers={"Authorization": f"Bearer {token}"},
    )
    while not stop.is_set():
        lines = rng.sample(product_ids, rng.randint(1, 3))
        body = {"items": [{"product": p, "quantity": rng.randint(1, 3)} for p in lines]}
        key = uuid.uuid4().hex
        deadline = time.monotonic() + 30
        delay = 0.1
        final = "abandoned"
        while time.monotonic() < deadline:
            response = exc = None
            try:
                response = client.post(
                    "/api/v1/orders/", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.HTTPError as error:
                exc = error
            observed.attempt("place", _status_of(response, exc), phase.value)
            if response is not None:
                if response.status_code == 201:
                    with observed.lock:
                        observed.key_orders[key].add(response.json()["id"])
                    final = "201"
                    break
                retry = response.status_code >= 500 or response.status_code == 429
                if response.status_code == 409 and _code(response) == RETRYABLE_409:
                    retry = True
                if not retry:
                    final = f"{response.status_code} {_code(response)}"
                    break
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        with observed.lock:
            observed.outcomes[final] += 1
        if final == "201" and rng.random() < 0.3:
            order_id = next(iter(observed.key_orders[key]))
            for _ in range(20):
                try:
                    response = client.post(f"/api/v1/orders/{order_id}/cancel/")
                    observed.attempt("cancel", str(response.status_code), phase.value)
                    if response.status_code < 500:
                        break
                except httpx.HTTPError as error:
                    observed.attempt("cancel", type(error).__name__, phase.value)
                time.sleep(0.2)
    client.close()


def browse_loop(base_url, stop, observed, phase):
    client = httpx.Client(base_url=base_url, timeout=20)
    while not stop.is_set():
        try:
            response = client.get("/api/v1/products/")
            observed.attempt("browse", str(response.status_code), phase.value)
        except httpx.HTTPError as error:
            observed.attempt("browse", type(error).__name__, phase.value)
            time.sleep(0.05)
    client.close()


# --- faults ---------------------------------------------------------------


def fault_kill(server, db, until, args, log):
    rng = random.Random(7)
    kills = 0
    while time.monotonic() < until:
        workers = server.worker_pids()
        if workers:
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
        time.sleep(args.kill_every)
    log["kills"] = kills


def fault_dbterm(server, db, until, args, log):
    terminated = rounds = 0
    with harness.admin_connection() as conn:
        while time.monotonic() < until:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [db],
            ).fetchall()
            terminated += len(rows)
            rounds += 1
            time.sleep(args.term_every)
    log["terminated_connections"] = terminated
    log["rounds"] = rounds


def fault_pgrestart(server, db, until, args, log):
    time.sleep(max(0.0, (until - time.monotonic()) / 3))
    started = time.monotonic()
    result = subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            args.pg_version,
            "main",
            "restart",
        ],
        capture_output=True,
        text=True,
    )
    log["restart_exit"] = result.returncode
    log["restart_seconds"] = round(time.monotonic() - started, 2)
    log["restart_stderr"] = result.stderr.strip()[-300:]


FAULTS = {"kill": fault_kill, "dbterm": fault_dbterm, "pgrestart": fault_pgrestart}


# --- checks ---------------------------------------------------------------

INVARIANT_SQL = {
    "orders_without_items": """
        SELECT count(*) FROM orders_order o
        WHERE NOT EXISTS (SELECT 1 FROM orders_orderitem i WHERE i.order_id = o.id)
    """,
    "totals_not_sum_of_lines": """
        SELECT count(*) FROM orders_order o
        WHERE o.total <> (SELECT COALESCE(SUM(i.line_total), 0)
                          FROM orders_orderitem i WHERE i.order_id = o.id)
    """,
    "lines_not_price_times_quantity": """
        SELECT count(*) FROM orders_orderitem
        WHERE line_total <> unit_price * quantity
    """,
    "orders_without_exactly_one_key": """
        SELECT count(*) FROM orders_order o
        WHERE (SELECT count(*) FROM orders_idempotencykey k
               WHERE k.order_id = o.id) <> 1
    """,
    "keys_answered_201_without_order": """
        SELECT count(*) FROM orders_idempotencykey
        WHERE response_status = 201 AND order_id IS NULL
    """,
    "negative_stock": "SELECT count(*) FROM catalog_product WHERE stock < 0",
}


def check_invariants(db: str, observed: Observed) -> dict:
    results = {}
    with psycopg.connect(harness.database_url(db)) as conn:
        for name, sql in INVARIANT_SQL.items():
            results[name] = conn.execute(sql).fetchone()[0]
        results["orders"] = conn.execute(
            "SELECT count(*) FROM orders_order"
        ).fetchone()[0]
        results["cancelled"] = conn.execute(
            "SELECT count(*) FROM orders_order WHERE status = 'cancelled'"
        ).fetchone()[0]
        results["unanswered_key_claims"] = conn.execute(
            "SELECT count(*) FROM orders_idempotencykey WHERE response_status IS NULL"
        ).fetchone()[0]
    results["stock_differs_from_ledger"] = len(harness.check_stock_sql(db))
    command = harness.manage(harness.app_env(db), "check_stock", check=False)
    results["check_stock_exit"] = command.returncode
    results["keys_with_two_orders_seen_by_clients"] = sum(
        1 for ids in observed.key_orders.values() if len(ids) > 1
    )
    results["orders_seen_by_clients"] = sum(
        len(ids) for ids in observed.key_orders.values()
    )
    return results


def wait_ready(server, timeout=120) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if harness.get_status(f"{server.base_url}/health/ready") == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def run_scenario(name: str, args) -> dict:
    db = args.db
    harness.prepare_database(db, products=PRODUCTS, stock=STOCK)
    env = harness.app_env(db, GUNICORN_TIMEOUT="20")
    server = harness.Server(
        env,
        port=args.port,
        workers=args.workers,
        timeout=20,
        log_path=f"{args.out}/{name}-gunicorn.log",
    )
    observed, phase, stop, log = Observed(), Phase(), threading.Event(), {}
    with server:
        master = server.proc.pid
        tokens = []
        with httpx.Client(base_url=server.base_url, timeout=20) as client:
            for i in range(args.clients):
                email = f"fault-{i}@example.com"
                client.post(
                    "/api/v1/auth/register/",
                    json={"email": email, "password": harness.PASSWORD},
                ).raise_for_status()
                tokens.append(harness.obtain_token(server.base_url, email))
            products = client.get("/api/v1/products/", params={"limit": 100}).json()
        product_ids = [p["id"] for p in products["results"]]
        threads = [
            threading.Thread(
                target=customer_loop,
                args=(
                    server.base_url,
                    token,
                    stop,
                    observed,
                    phase,
                    random.Random(i),
                    product_ids,
                ),
            )
            for i, token in enumerate(tokens)
        ]
        threads.append(
            threading.Thread(
                target=browse_loop, args=(server.base_url, stop, observed, phase)
            )
        )
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        phase.value = "fault"
        fault_started = time.monotonic()
        FAULTS[name](server, db, fault_started + args.fault_seconds, args, log)
        fault_ended = time.monotonic()
        phase.value = "after"
        ready_after = wait_ready(server)
        # Recovery: first successful order placed after the fault ended.
        time.sleep(args.after_seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        first_ok_after = min(
            (
                t
                for t, p, kind, s in observed.attempts
                if p == "after" and kind == "place" and s == "201"
            ),
            default=None,
        )
        same_master = server.proc.poll() is None and server.proc.pid == master
        workers_now = len(server.worker_pids())
    invariants = check_invariants(db, observed)
    counts = collections.defaultdict(collections.Counter)
    for _t, p, kind, status in observed.attempts:
        counts[f"{p}"][f"{kind} {status}"] += 1
    after_5xx = sum(
        n for k, n in counts["after"].items() if k.split()[1].startswith("5")
    )
    summary = {
        "scenario": name,
        "fault": log,
        "fault_seconds": round(fault_ended - fault_started, 1),
        "ready_200_after_fault_s": None
        if ready_after is None
        else round(ready_after, 2),
        "first_order_201_after_fault_s": None
        if first_ok_after is None
        else round(first_ok_after - fault_ended, 2),
        "same_gunicorn_master": same_master,
        "workers_alive_at_end": workers_now,
        "client_outcomes_per_key": dict(observed.outcomes),
        "responses": {p: dict(sorted(c.items())) for p, c in counts.items()},
        "5xx_after_fault": after_5xx,
        "invariants": invariants,
    }
    problems = [
        name_
        for name_ in (
            "orders_without_items",
            "totals_not_sum_of_lines",
            "lines_not_price_times_quantity",
            "orders_without_exactly_one_key",
            "keys_answered_201_without_order",
            "negative_stock",
            "stock_differs_from_ledger",
            "check_stock_exit",
            "keys_with_two_orders_seen_by_clients",
        )
        if invariants[name_]
    ]
    if after_5xx:
        problems.append("5xx_after_fault")
    if ready_after is None:
        problems.append("not_ready_after_fault")
    if not same_master:
        problems.append("gunicorn_master_changed")
    summary["problems"] = problems
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="+", choices=sorted(FAULTS))
    parser.add_argument("--db", default="shop_fault")
    parser.add_argument("--port", type=int, default=18320)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--fault-seconds", type=float, default=30)
    parser.add_argument("--after-seconds", type=float, default=10)
    parser.add_argument("--kill-every", type=float, default=1.5)
    parser.add_argument("--term-every", type=float, default=2.0)
    parser.add_argument("--pg-version", default="15")
    parser.add_argument("--out", default="/tmp/shop-fault")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    failed = False
    for name in args.scenarios:
        harness.log(f"scenario {name}")
        summary = run_scenario(name, args)
        print(json.dumps(summary, indent=2), flush=True)
        with open(f"{args.out}/{name}.json", "w") as fh:
            json.dump(summary, fh, indent=2)
        if summary["problems"]:
            harness.log(f"scenario {name}: PROBLEMS {summary['problems']}")
            failed = True
        else:
            harness.log(f"scenario {name}: all invariants hold")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

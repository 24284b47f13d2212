"""Run the shop as it runs in production, on loopback, for system-level checks.

Used by the fuzzing, fault-injection, load and soak scripts: each creates its
own PostgreSQL database, migrates and seeds it, starts gunicorn with the
production settings and stops everything it started.

Stdlib only (plus psycopg, a runtime dependency), so it imports without Django.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable
PG_SERVER = os.environ.get("SYSTEM_PG_URL", "postgres://postgres@127.0.0.1:5432")
# Rates high enough that no check ever meets a throttle by accident.
NO_THROTTLE = "auth=1000000/min,anon=1000000/min,user=1000000/min"

STAFF_EMAIL = "fuzz-staff@example.com"
CUSTOMER_EMAIL = "fuzz-customer@example.com"
OTHER_EMAIL = "fuzz-other@example.com"
PASSWORD = "system-check-password-7"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_url(name: str, server: str = PG_SERVER) -> str:
    return f"{server}/{name}"


def admin_connection(server: str = PG_SERVER) -> psycopg.Connection:
    return psycopg.connect(f"{server}/postgres", autocommit=True)


def reset_database(name: str, server: str = PG_SERVER) -> None:
    """Drop and recreate `name`, ending whatever sessions still use it."""
    with admin_connection(server) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def app_env(db_name: str, server: str = PG_SERVER, **extra: str) -> dict[str, str]:
    """Environment of a production deployment on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "DJANGO_SETTINGS_MODULE",
            "CACHE_URL",
            "REDIS_URL",
            "DATABASE_REPLICA_URLS",
            "DATABASE_POOLER",
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shop.settings.prod",
        SECRET_KEY="system-check-secret-" + "k" * 48,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url(db_name, server),
        THROTTLE_RATES=NO_THROTTLE,
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
        EMAIL_URL="dummymail://",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        capture_output=True,
        text=True,
    )


def prepare_database(
    db_name: str,
    *,
    products: int = 20,
    stock: int = 100000,
    orders: int = 0,
    server: str = PG_SERVER,
):
    """Fresh, migrated database with a staff user, two customers, products."""
    log(f"database {db_name}: recreate, migrate, seed")
    reset_database(db_name, server)
    env = app_env(db_name, server)
    manage(env, "migrate", "--noinput")
    subprocess.run(
        [
            PYTHON,
            "-m",
            "tests.system.seed",
            "--products",
            str(products),
            "--stock",
            str(stock),
            "--orders",
            str(orders),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


class Server:
    """A gunicorn master with sync workers serving the shop on 127.0.0.1."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int,
        workers: int = 2,
        timeout: int = 30,
        log_path: str | None = None,
    ):
        self.env = env
        self.port = port
        self.workers = workers
        self.timeout = timeout
        self.log_path = log_path or f"/tmp/shop-system-{port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        args = [
            PYTHON,
            "-m",
            "gunicorn",
            "shop.wsgi:application",
            "--config",
            "python:tests.system.gunicorn_system",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--timeout",
            str(self.timeout),
            "--max-requests",
            "0",
            "--error-logfile",
            self.log_path,
        ]
        self._log = open(self.log_path, "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            if get_status(f"{self.base_url}/health/live") == 200:
                log(f"gunicorn up on {self.base_url} (master {self.proc.pid})")
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in 30 s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        log(f"gunicorn on port {self.port} stopped")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def get_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def obtain_token(base_url: str, email: str, password: str = PASSWORD) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access"]


def rss_kib(pid: int) -> int | None:
    """Resident set size of a process in KiB, from /proc/<pid>/status."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def check_stock_sql(db_name: str) -> list[tuple]:
    """Products whose stock is negative or differs from their ledger's sum."""
    with psycopg.connect(database_url(db_name)) as conn:
        return conn.execute(
            """
            SELECT p.id, p.stock, COALESCE(SUM(m.delta), 0) AS ledger
            FROM catalog_product p
            LEFT JOIN catalog_stockmovement m ON m.product_id = p.id
            GROUP BY p.id, p.stock
            HAVING p.stock < 0 OR p.stock <> COALESCE(SUM(m.delta), 0)
            """
        ).fetchall()

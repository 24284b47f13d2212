"""Time from an order's commit to its mail accepted by the SMTP server,
through a real Celery worker.

Usage (from the project root; PostgreSQL on 127.0.0.1:5432, Redis on
127.0.0.1:6379):

    .venv/bin/python bench/mail_latency.py [--orders 300] [--concurrency 2]
        [--broker redis://127.0.0.1:6379/9]

(Re)creates the database `shop_bench_mail`, starts an SMTP server (aiosmtpd)
in this process and `celery -A shop worker` as a subprocess with production
settings, then places `--orders` orders one after another through
`order_place` (each commit nudges the worker) and stamps, on this process's
clock, the commit and the moment the SMTP server accepted that order's mail.
Prints p50/p90/p99/max of the difference and the load average: on a shared
machine other processes inflate it, so read it with the load.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = "shop_bench_mail"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()

    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    queue = f"bench-mail-{secrets.token_hex(4)}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CACHE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="shop.settings.prod",
        SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        DATABASE_URL=f"{PG}/{DB_NAME}",
        CELERY_BROKER_URL=args.broker,
        CELERY_QUEUE=queue,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    sys.path.insert(0, str(ROOT))
    from shop.outbox.tests.servers import SMTPServer

    smtp = SMTPServer()
    smtp.up()
    env["EMAIL_URL"] = smtp.url
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from shop.catalog.models import Product
    from shop.orders.services import LineRequest, order_place
    from shop.users.models import User

    customer = User.objects.create_user(
        email="latency@example.com", username="latency", password="!"
    )
    product = Product.objects.create(
        name="Bench", slug="bench", sku="BENCH-1", price="9.99", stock=10**9
    )

    arrived: dict[int, float] = {}
    original = smtp.handler.handle_DATA

    async def stamped(server, session, envelope):
        answer = await original(server, session, envelope)
        subject = envelope.content.split(b"#", 1)[1].split(b" ", 1)[0]
        arrived[int(subject)] = time.time()
        return answer

    smtp.handler.handle_DATA = stamped
    log = open("/tmp/bench-mail-worker.log", "wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shop", "worker", "-l", "WARNING"]
        + ["-c", str(args.concurrency), "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # Warm-up: the worker is ready once it has sent a first mail.
        order_place(customer=customer, lines=[LineRequest(product.pk, 1)])
        deadline = time.monotonic() + 60
        while not arrived and time.monotonic() < deadline:
            time.sleep(0.1)
        if not arrived:
            raise SystemExit("the worker sent no mail in 60 s")
        arrived.clear()

        committed: dict[int, float] = {}
        load_before = os.getloadavg()
        for _ in range(args.orders):
            order = order_place(customer=customer, lines=[LineRequest(product.pk, 1)])
            committed[order.pk] = time.time()
        deadline = time.monotonic() + 120
        while len(arrived) < len(committed) and time.monotonic() < deadline:
            time.sleep(0.1)
        load_after = os.getloadavg()
    finally:
        worker.terminate()
        worker.wait(30)
        smtp.close()
    missing = set(committed) - set(arrived)
    delays = sorted(
        (arrived[k] - committed[k]) * 1000 for k in committed if k in arrived
    )
    quantiles = statistics.quantiles(delays, n=100)
    print(
        f"{len(delays)} orders, worker concurrency {args.concurrency}, broker "
        f"{args.broker.split('://')[0]}: commit -> mail accepted ms "
        f"p50 {quantiles[49]:.0f}, p90 {quantiles[89]:.0f}, p99 {quantiles[98]:.0f}, "
        f"max {delays[-1]:.0f}; missing {len(missing)}; load average "
        f"before/after {load_before[0]:.1f}/{load_after[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()

"""The shop through PgBouncer in transaction pooling mode, end to end.

Migrations go direct (they need session state: advisory locks, DDL in long
transactions); the API, the admin, the relay worker and the commands run with
DATABASE_POOLER=pgbouncer against a PgBouncer configured from
deploy/pgbouncer.ini (pool_mode = transaction, statement_timeout set by the
pooler's connect_query).
"""

import csv
import io
import shutil

import psycopg
import pytest

from tests.system import clusters, harness
from tests.system.clusters import call

DB = "shop_scale_pgbouncer"
API = "/api/v1"


@pytest.fixture
def pooled_shop(scratch, gunicorns, processes):
    if not shutil.which(clusters.PGBOUNCER):
        pytest.skip("pgbouncer not installed (apt-get install pgbouncer)")
    env = harness.prepare_database(DB, products=5)
    port = clusters.free_port()
    server = harness.PG_SERVER.rsplit("@", 1)[1]
    processes.append(
        clusters.start_pgbouncer(scratch, server=server, port=port, databases={DB: DB})
    )
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/{DB}",
        DATABASE_POOLER="pgbouncer",
        # Deliveries (mails, publication to a closed port) are recorded with
        # each order; the nudges go to a broker that refuses, so they stay
        # due for the relay pass below, as after a broker outage.
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        ORDER_EVENTS_WEBHOOK_URL="http://127.0.0.1:1/hook",
        ORDER_EVENTS_WEBHOOK_SECRET="pooled-check-secret",
    )
    clusters.collect_static(env)
    web = harness.Server(
        env, port=clusters.free_port(), workers=2, log_path=str(scratch / "web.log")
    )
    gunicorns.append(web)
    web.start()
    return env, web, port


def test_api_admin_worker_and_commands_run_through_pgbouncer(pooled_shop):
    env, web, pooler_port = pooled_shop
    base = web.base_url

    # The pooler, not a startup option, sets the statement timeout, and the
    # pool really is in transaction mode.
    url = f"postgres://postgres@127.0.0.1:{pooler_port}/{DB}"
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "30s"

    token = harness.obtain_token(base, harness.CUSTOMER_EMAIL)
    auth = {"Authorization": f"Bearer {token}"}
    _, _, products = call("GET", f"{base}{API}/products/")
    ids = [p["id"] for p in products["results"]]
    placed = []
    for i in range(3):
        status, _, order = call(
            "POST",
            f"{base}{API}/orders/",
            body={"items": [{"product": ids[i], "quantity": 1}]},
            headers={**auth, "Idempotency-Key": f"pooled-{i}"},
        )
        assert status == 201, order
        placed.append(order["id"])
    status, _, cancelled = call(
        "POST", f"{base}{API}/orders/{placed[0]}/cancel/", headers=auth
    )
    assert status == 200 and cancelled["status"] == "cancelled"
    status, _, mine = call("GET", f"{base}{API}/orders/", headers=auth)
    assert status == 200 and mine["count"] == 3

    staff = {
        "Authorization": f"Bearer {harness.obtain_token(base, harness.STAFF_EMAIL)}"
    }
    status, _, report = call("GET", f"{base}{API}/reports/status/", headers=staff)
    assert status == 200, report

    cookies = clusters.admin_session(base, harness.STAFF_EMAIL, harness.PASSWORD)
    for path in (
        "/admin/",
        "/admin/orders/order/",
        f"/admin/orders/order/{placed[1]}/change/",
    ):
        status, _, page = call("GET", f"{base}{path}", cookies=cookies)
        assert status == 200, (path, status)

    # The delivery pass the workers run (SKIP LOCKED claim, one transaction
    # per delivery), pooled as well: the four mails (three placed, one
    # cancelled) go out, the four publications fail against the closed port
    # and are rescheduled.
    harness.manage(env, "relay_events", check=False)
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        states = conn.execute(
            "SELECT handler, state, attempts FROM outbox_delivery ORDER BY id"
        ).fetchall()
    mails = [(h, s) for h, s, _ in states if h.startswith("orders.mail_")]
    assert sorted(mails) == [
        ("orders.mail_cancelled", "done"),
        ("orders.mail_placed", "done"),
        ("orders.mail_placed", "done"),
        ("orders.mail_placed", "done"),
    ]
    publications = [(s, n) for h, s, n in states if h == "outbox.publish"]
    # Each order's first publication was tried (and is rescheduled); later
    # ones wait behind it, in order.
    assert publications and all(s == "pending" for s, _ in publications)
    assert sum(1 for _, n in publications if n == 1) == 3, publications
    export = harness.manage(env, "export_orders", "--chunk-size=2", check=False)
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert sorted(int(r["id"]) for r in rows) == sorted(placed)
    report = harness.manage(env, "order_report", "status", check=False)
    assert report.returncode == 0 and "cancelled" in report.stdout
    # Cancels the two pending orders (a plain cursor, one transaction each).
    expire = harness.manage(env, "expire_pending_orders", "--older-than", "1s")
    assert "Cancelled 2" in expire.stdout or expire.stdout.count("Cancelled") >= 2, (
        expire.stdout
    )
    check = harness.manage(env, "check_stock", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert harness.check_stock_sql(DB) == []

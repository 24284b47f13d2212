"""Staff reports read from a real streaming replica; customers read their writes.

A private primary (wal_level=replica, replication allowed from loopback) and
a physical replica made with pg_basebackup -R, each on its own port and data
directory; the shop is migrated and seeded on the primary and served by
gunicorn with production settings and DATABASE_REPLICA_URLS naming the
replica, as a deployment would run it.
"""

import datetime as dt

import pytest

from tests.system import clusters, harness
from tests.system.clusters import call

DB = "shop_replica_check"


@pytest.fixture
def replica(primary, scratch):
    cluster = None
    try:
        cluster = clusters.start_replica(primary, scratch)
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()


@pytest.fixture
def shop(primary, replica, scratch, gunicorns):
    env = harness.prepare_database(DB, products=5, server=primary.server_url)
    env["DATABASE_REPLICA_URLS"] = replica.url(DB)
    # Short, so the test sees the replica tried again after it comes back.
    env["DATABASE_REPLICA_RETRY_SECONDS"] = "2"
    env["LOG_LEVEL"] = "WARNING"
    server = harness.Server(
        env,
        port=clusters.free_port(),
        workers=1,
        log_path=str(scratch / "gunicorn.log"),
    )
    gunicorns.append(server)
    server.start()
    clusters.wait_for_replay(primary, replica)
    return server


def _token(base, email):
    return {"Authorization": f"Bearer {harness.obtain_token(base, email)}"}


def _today_orders(base, staff) -> int:
    # A day either side: the orders are today's in any TIME_ZONE.
    day = dt.timedelta(days=1)
    start, end = dt.date.today() - day, dt.date.today() + day
    status, _, body = call(
        "GET",
        f"{base}/api/v1/reports/sales/?date_from={start}&date_to={end}",
        headers=staff,
    )
    assert status == 200, body
    return sum(row["orders"] for row in body["results"])


def _ready(base) -> tuple[int, dict]:
    status, _, body = call("GET", f"{base}/health/ready")
    return status, body


def test_reports_read_the_replica_and_customers_their_own_writes(
    primary, replica, shop
):
    base = shop.base_url
    staff = _token(base, harness.STAFF_EMAIL)
    customer = _token(base, harness.CUSTOMER_EMAIL)
    status, _, products = call("GET", f"{base}/api/v1/products/")
    product_id = products["results"][0]["id"]
    assert _today_orders(base, staff) == 0

    with replica.connect() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    status, _, order = call(
        "POST",
        f"{base}/api/v1/orders/",
        body={"items": [{"product": product_id, "quantity": 2}]},
        headers=customer,
    )
    assert status == 201, order

    # The customer's own list is read on the primary: the order is there.
    status, _, mine = call("GET", f"{base}/api/v1/orders/", headers=customer)
    assert status == 200
    assert [o["id"] for o in mine["results"]] == [order["id"]]
    # The staff report is read on the paused replica: not yet.
    assert _today_orders(base, staff) == 0
    status, body = _ready(base)
    assert status == 200
    (state,) = body["replicas"]
    assert state["alias"] == "replica_0"
    assert state["status"] == "ok"
    assert state["replay_paused"] is True

    with replica.connect() as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    clusters.wait_for_replay(primary, replica)

    assert _today_orders(base, staff) == 1
    status, body = _ready(base)
    assert status == 200
    assert body["replicas"][0]["replay_paused"] is False
    assert body["replicas"][0]["lag_bytes"] == 0


def test_a_stopped_replica_falls_back_to_the_primary(primary, replica, shop):
    base = shop.base_url
    staff = _token(base, harness.STAFF_EMAIL)
    customer = _token(base, harness.CUSTOMER_EMAIL)
    status, _, products = call("GET", f"{base}/api/v1/products/")
    status, _, order = call(
        "POST",
        f"{base}/api/v1/orders/",
        body={"items": [{"product": products["results"][0]["id"], "quantity": 1}]},
        headers=customer,
    )
    assert status == 201
    clusters.wait_for_replay(primary, replica)
    assert _today_orders(base, staff) == 1  # a warm connection to the replica

    replica.stop()

    # Every report still answers, from the primary.
    for _ in range(3):
        assert _today_orders(base, staff) == 1
    status, _, csv = call(
        "GET", f"{base}/api/v1/reports/status/?format=csv", headers=staff
    )
    assert status == 200 and csv.startswith(b"status,")
    status, body = _ready(base)
    assert status == 200
    assert body["status"] == "ok"
    assert body["replicas"][0]["status"] == "down"
    log = (shop.log_path and open(shop.log_path).read()) or ""
    assert "replica replica_0 unreachable" in log

    replica.start()
    clusters.wait_until(
        lambda: _ready(base)[1]["replicas"][0]["status"] == "ok",
        timeout=30,
        what="replica back in /health/ready",
    )

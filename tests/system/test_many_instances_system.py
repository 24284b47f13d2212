"""Two web instances behind HAProxy share everything a client relies on.

Two gunicorn masters on their own ports, one PostgreSQL database, one Redis
database (its own number), HAProxy from deploy/haproxy.cfg balancing round-
robin with NUM_PROXIES=1 — as a deployment runs. Every check below makes
consecutive requests land on both instances (HAProxy's X-Served-By header
says which) and shows the second instance honours what the first one did.

Clients connect from other loopback addresses (127.0.0.2, ...) so that the
real client differs from the proxy, and send forged X-Forwarded-For headers
that must not win.
"""

import shutil
import uuid

import pytest

from tests.system import clusters, harness
from tests.system.clusters import call

DB = "shop_scale_many_instances"
REDIS_DB = 14
API = "/api/v1"


def _served_by(response) -> str:
    return response.getheader("X-Served-By")


@pytest.fixture
def redis_db(on_postgres_pass):
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis on 127.0.0.1:6379: {exc}")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def balancer(scratch, redis_db, gunicorns, processes):
    if not shutil.which(clusters.HAPROXY):
        pytest.skip("haproxy not installed (apt-get install haproxy)")
    env = harness.prepare_database(DB, products=5)
    env.update(
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        NUM_PROXIES="1",
        THROTTLE_RATES="auth=5/min,anon=100000/min,user=100000/min",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="text",
        # The list's cached total must not hide a new product on either one.
        PRODUCT_COUNT_CACHE_SECONDS="300",
    )
    # As the image build does: the admin's pages need the static manifest.
    clusters.collect_static(env)
    ports = []
    for name in ("web1", "web2"):
        server = harness.Server(
            env,
            port=clusters.free_port(),
            workers=1,
            log_path=str(scratch / f"{name}.log"),
        )
        gunicorns.append(server)
        server.start()
        ports.append(server.port)
    port = clusters.free_port()
    processes.append(clusters.start_haproxy(scratch, port=port, web=ports))
    return f"http://127.0.0.1:{port}"


def _login(base, email, source, password=harness.PASSWORD):
    status, _, body = call(
        "POST",
        f"{base}{API}/auth/token/",
        body={"email": email, "password": password},
        source=source,
    )
    assert status == 200, body
    return body


def test_two_instances_share_state_behind_haproxy(balancer, gunicorns, redis_db):
    base = balancer

    # Round-robin really spreads the requests.
    seen = {_served_by(call("GET", f"{base}/health/live")[1]) for _ in range(4)}
    assert seen == {"web1", "web2"}

    # The login throttle (auth=5/min) counts per real client, across both
    # instances: a new forged X-Forwarded-For per request changes nothing.
    answers = []
    for i in range(7):
        status, response, _ = call(
            "POST",
            f"{base}{API}/auth/token/",
            body={"email": harness.CUSTOMER_EMAIL, "password": "wrong-password-1"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
            source="127.0.0.2",
        )
        answers.append((status, _served_by(response)))
    assert [s for s, _ in answers] == [401] * 5 + [429] * 2
    assert {by for _, by in answers[:5]} == {"web1", "web2"}
    # One fixed-window counter per scope, client and window, shared by both.
    keys = [k.decode() for k in redis_db.keys("*throttle:auth:*")]
    assert keys and all(":throttle:auth:127.0.0.2:" in k for k in keys), keys
    # ...and it is the real client's address the logs name, on both.
    for server in gunicorns:
        log = open(server.log_path).read()
        assert "127.0.0.2]" in log
        assert "203.0.113." not in log
    # Another client is not throttled by the first one's failures.
    customer = _login(base, harness.CUSTOMER_EMAIL, "127.0.0.3")
    auth = {"Authorization": f"Bearer {customer['access']}"}

    # An Idempotency-Key replays whichever instance answers.
    _, _, products = call("GET", f"{base}{API}/products/")
    product_id = products["results"][0]["id"]
    key = uuid.uuid4().hex
    orders = []
    for _ in range(2):
        status, response, order = call(
            "POST",
            f"{base}{API}/orders/",
            body={"items": [{"product": product_id, "quantity": 1}]},
            headers={**auth, "Idempotency-Key": key},
        )
        assert status in (200, 201), order
        orders.append((order["id"], _served_by(response)))
    assert orders[0][0] == orders[1][0]
    assert orders[0][1] != orders[1][1]
    _, _, mine = call("GET", f"{base}{API}/orders/", headers=auth)
    assert mine["count"] == 1

    # A logged-out refresh token is refused by both instances.
    pair = _login(base, harness.CUSTOMER_EMAIL, "127.0.0.4")
    status, _, _ = call(
        "POST",
        f"{base}{API}/auth/logout/",
        body={"refresh": pair["refresh"]},
        headers={"Authorization": f"Bearer {pair['access']}"},
    )
    assert status == 204
    refused = set()
    for _ in range(2):
        status, response, _ = call(
            "POST",
            f"{base}{API}/auth/token/refresh/",
            body={"refresh": pair["refresh"]},
            source="127.0.0.4",
        )
        assert status == 401
        refused.add(_served_by(response))
    assert refused == {"web1", "web2"}

    # After a password change the old access token is refused by both.
    other = _login(base, harness.OTHER_EMAIL, "127.0.0.5")
    old = {"Authorization": f"Bearer {other['access']}"}
    status, _, body = call(
        "POST",
        f"{base}{API}/users/me/password/",
        body={"old_password": harness.PASSWORD, "new_password": "an0ther-Passw0rd!"},
        headers=old,
    )
    assert status == 204, body
    refused = set()
    for _ in range(2):
        status, response, _ = call("GET", f"{base}{API}/users/me/", headers=old)
        assert status == 401
        refused.add(_served_by(response))
    assert refused == {"web1", "web2"}

    # A catalogue change is seen by both: no per-process cache, and the
    # list's cached total (in Redis) is invalidated for both.
    staff_tokens = _login(base, harness.STAFF_EMAIL, "127.0.0.6")
    staff = {"Authorization": f"Bearer {staff_tokens['access']}"}
    before = {call("GET", f"{base}{API}/products/")[2]["count"] for _ in range(2)}
    assert len(before) == 1
    status, _, _ = call(
        "PATCH",
        f"{base}{API}/products/{product_id}/",
        body={"name": "Renamed everywhere"},
        headers=staff,
    )
    assert status == 200
    status, _, created = call(
        "POST",
        f"{base}{API}/products/",
        body={
            "name": "New on both",
            "slug": "new-on-both",
            "sku": "NEW-BOTH-1",
            "price": "12.50",
            "stock": 3,
            "category": products["results"][0]["category"],
        },
        headers=staff,
    )
    assert status == 201, created
    counts, names = {}, {}
    for _ in range(2):
        _, response, listing = call("GET", f"{base}{API}/products/?limit=100")
        counts[_served_by(response)] = listing["count"]
    for _ in range(2):
        _, response, detail = call("GET", f"{base}{API}/products/{product_id}/")
        names[_served_by(response)] = detail["name"]
    assert counts == {"web1": before.pop() + 1, "web2": counts["web1"]}
    assert names == {"web1": "Renamed everywhere", "web2": "Renamed everywhere"}

    # An admin session made on one instance works on the other (the login
    # form and its POST already alternate between them).
    cookies = clusters.admin_session(
        base, harness.STAFF_EMAIL, harness.PASSWORD, source="127.0.0.7"
    )
    assert "sessionid" in cookies
    served = set()
    for _ in range(2):
        status, response, page = call(
            "GET", f"{base}/admin/", cookies=cookies, source="127.0.0.7"
        )
        assert status == 200 and b"Log out" in page
        served.add(_served_by(response))
    assert served == {"web1", "web2"}

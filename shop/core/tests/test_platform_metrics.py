"""/metrics: the token guard, request/query/cache timings, multiprocess totals."""

import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from shop.core import metrics

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "scrape-token-0123456789"


def scrape(client=None) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    with override_settings(METRICS_TOKEN=TOKEN):
        response = (client or Client()).get(
            "/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
        )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def sample(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token():
    with override_settings(METRICS_TOKEN=""):
        response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer é"],
)
def test_a_missing_or_wrong_token_is_401(header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    with override_settings(METRICS_TOKEN=TOKEN):
        response = Client().get("/metrics", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"shop_" not in response.content


@pytest.mark.django_db
def test_requests_are_timed_by_view_with_their_database_queries():
    before = scrape()

    Client().get("/api/v1/products/")
    Client().get("/no/such/page/")

    after = scrape()
    count = "shop_http_request_duration_seconds_count"
    product_list = {"view": "catalog:product-list", "method": "GET", "status": "200"}
    assert sample(after, count, **product_list) == (
        sample(before, count, **product_list) + 1
    )
    unresolved = {"view": "unresolved", "method": "GET", "status": "404"}
    assert sample(after, count, **unresolved) == sample(before, count, **unresolved) + 1
    queries = "shop_db_query_duration_seconds_count"
    assert sample(after, queries, alias="default") > sample(
        before, queries, alias="default"
    )


def test_health_probes_are_not_timed():
    before = scrape()
    Client().get("/health/live")
    after = scrape()

    assert not any(
        "health" in dict(labels).get("view", "")
        for (name, labels) in set(after) - set(before)
    )


def test_redis_cache_calls_are_timed():
    from django.core.cache import caches

    redis_cache = {
        "BACKEND": "shop.core.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    with override_settings(CACHES={"default": redis_cache}):
        try:
            caches["default"].set("metrics-probe", 1, timeout=5)
        except Exception:
            pytest.skip("no Redis on 127.0.0.1:6379")
        before = scrape()
        assert caches["default"].get("metrics-probe") == 1
        after = scrape()

    count = "shop_cache_operation_duration_seconds_count"
    assert sample(after, count, operation="get") == (
        sample(before, count, operation="get") + 1
    )


class _Backlog:
    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        yield GaugeMetricFamily("shop_test_backlog", "A scrape-time value.", value=7)


def test_an_app_can_register_a_scrape_time_collector(monkeypatch):
    monkeypatch.setattr(metrics, "_scrape_collectors", [])
    collector = _Backlog()
    metrics.register_collector(collector)
    try:
        assert sample(scrape(), "shop_test_backlog") == 7
    finally:
        if not metrics.multiprocess_dir():
            metrics.REGISTRY.unregister(collector)


INCREMENT = textwrap.dedent(
    """
    import sys
    from shop.orders.metrics import ORDERS_PLACED
    ORDERS_PLACED.inc(int(sys.argv[1]))
    """
)


def test_two_processes_counts_add_up_in_multiprocess_mode(tmp_path, monkeypatch):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in ("2", "3"):
        subprocess.run(
            [sys.executable, "-c", INCREMENT, n], env=env, cwd=ROOT, check=True
        )
    # A multiprocess scrape, as /metrics does it under gunicorn (plus the
    # scrape-time collectors, which multiprocess mode does not see otherwise).
    monkeypatch.setattr(metrics, "_scrape_collectors", [_Backlog()])
    body, _ = metrics.scrape(str(tmp_path))

    samples = {
        s.name: s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples["shop_orders_placed_total"] == 5
    assert samples["shop_test_backlog"] == 7


def test_gunicorn_empties_the_directory_and_marks_dead_workers(tmp_path, monkeypatch):
    import runpy

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_123.db").write_bytes(b"old")
    (tmp_path / "metrics" / "gauge_livesum_456.db").write_bytes(b"old")

    hooks["on_starting"](None)
    assert list((tmp_path / "metrics").iterdir()) == []

    (tmp_path / "metrics" / "gauge_livesum_456.db").write_bytes(b"")
    hooks["child_exit"](None, type("Worker", (), {"pid": 456})())
    assert not (tmp_path / "metrics" / "gauge_livesum_456.db").exists()


def test_worker_metrics_serve_every_process_in_the_directory_but_stale_ones(
    tmp_path,
):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-c", INCREMENT, "2"], env=env, cwd=ROOT, check=True
    )
    # What the pool processes count lands here only after the worker started;
    # the files already there are a previous worker's.
    server, _ = metrics.worker_metrics_serve(
        port=0, addr="127.0.0.1", path=str(tmp_path)
    )
    try:
        assert list(tmp_path.iterdir()) == []
        for n in ("3", "4"):
            subprocess.run(
                [sys.executable, "-c", INCREMENT, n], env=env, cwd=ROOT, check=True
            )
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    samples = {
        s.name: s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    assert samples["shop_orders_placed_total"] == 7


def test_worker_metrics_are_off_without_a_port(settings, monkeypatch):
    from shop import celery

    served = []
    monkeypatch.setattr(metrics, "worker_metrics_serve", lambda **kw: served.append(kw))
    settings.WORKER_METRICS_PORT = 0
    celery._worker_metrics_start(sender=None)
    assert served == []

    settings.WORKER_METRICS_PORT = 9808
    celery._worker_metrics_start(sender=None)
    assert served == [{"port": 9808, "addr": "127.0.0.1"}]

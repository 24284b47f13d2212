"""Prometheus metrics: the platform's own, and the hook apps add theirs with.

Served at /metrics (shop.core.views.metrics) behind METRICS_TOKEN.

Every gunicorn worker counts: with PROMETHEUS_MULTIPROC_DIR set (Docker sets
it), prometheus_client writes each process's samples to files in that
directory and a scrape adds up all of them, whichever worker answers it.
gunicorn.conf.py empties the directory when gunicorn starts and marks each
dead worker. Without the variable (runserver, tests) one process counts alone.

A Celery worker's processes count in a directory of their own (its own
container): with WORKER_METRICS_PORT set, the worker's main process serves
their sum on that port (`worker_metrics_serve`, started from shop/celery.py).

How an app adds metrics (core imports no app; apps import this module):

- Counters and histograms: define them with prometheus_client in the app's
  own module, e.g. shop/orders/metrics.py, and increment them where the
  event happens (after commit for anything transactional). A Gauge needs a
  `multiprocess_mode` ("livesum", "max", ...) to add up across workers.
- Values read at scrape time (outbox backlog, age of the oldest pending
  event, queue lengths): write a collector, an object whose `collect()`
  yields metric families (prometheus_client.core.GaugeMetricFamily), and
  call `register_collector(collector)` from the app's `AppConfig.ready()`.
  It runs in the process answering the scrape, once per scrape, so keep its
  queries cheap.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from wsgiref.simple_server import WSGIServer

from django.db import connections
from django.http import HttpRequest, HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _MULTIPROC_DIR:
    # prometheus_client writes here from the first sample on; a fresh
    # container or a local run may not have made the directory yet.
    os.makedirs(_MULTIPROC_DIR, exist_ok=True)

# Latency buckets from 5 ms to 10 s: API requests, and the admin's slow pages.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# Queries and cache calls are much shorter.
_FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_LATENCY = Histogram(
    "shop_http_request_duration_seconds",
    "Time from the request entering Django to the response leaving it.",
    ["view", "method", "status"],
    buckets=_REQUEST_BUCKETS,
)
DB_QUERY_LATENCY = Histogram(
    "shop_db_query_duration_seconds",
    "Database query time during requests, by connection alias.",
    ["alias"],
    buckets=_FAST_BUCKETS,
)
CACHE_LATENCY = Histogram(
    "shop_cache_operation_duration_seconds",
    "Redis cache call time, by operation (shop.core.cache.RedisCache).",
    ["operation"],
    buckets=_FAST_BUCKETS,
)

_scrape_collectors: list[Collector] = []


def multiprocess_dir() -> str:
    return _MULTIPROC_DIR


def register_collector(collector: Collector) -> None:
    """Have `collector` collected at every scrape of /metrics."""
    _scrape_collectors.append(collector)
    if not _MULTIPROC_DIR:
        REGISTRY.register(collector)


def scrape(path: str | None = None) -> tuple[bytes, str]:
    """The exposition text of every process's metrics, and its content type."""
    path = path or _MULTIPROC_DIR
    if not path:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    for collector in _scrape_collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def worker_metrics_serve(
    *, port: int, addr: str, path: str | None = None
) -> tuple[WSGIServer, threading.Thread]:
    """Serve the metrics of this Celery worker and its pool processes on
    http://addr:port/ (any path), from a daemon thread of the calling process.

    Called in the worker's main process before the pool starts (worker_init):
    files other processes left in the directory are removed first, as
    gunicorn.conf.py does when gunicorn starts, so a restarted worker does not
    add in the counts of the one before (a container restart keeps /tmp).
    Scrape-time collectors (the outbox backlog) are not served here: the web's
    /metrics has them, and two targets would count them twice.
    """
    path = _MULTIPROC_DIR if path is None else path
    if not path:
        # The prefork children's counts never reach this process.
        logger.warning(
            "WORKER_METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: only the "
            "worker's main process is counted, not its pool processes"
        )
        return start_http_server(port, addr=addr)
    os.makedirs(path, exist_ok=True)
    mine = f"_{os.getpid()}.db"
    for name in os.listdir(path):
        if name.endswith(".db") and not name.endswith(mine):
            os.remove(os.path.join(path, name))
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    served = start_http_server(port, addr=addr, registry=registry)
    logger.info("worker metrics on http://%s:%s/metrics", addr, port)
    return served


def worker_process_dead(pid: int) -> None:
    """Retire a finished pool process's live gauges; its counters stay."""
    if _MULTIPROC_DIR:
        prometheus_multiprocess.mark_process_dead(pid, _MULTIPROC_DIR)  # type: ignore[no-untyped-call]


def _view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    # Unresolved paths share one label: a scanner must not mint series.
    return (match.view_name or match.route or "unnamed") if match else "unresolved"


class _QueryTimer:
    def __init__(self, alias: str) -> None:
        self.histogram = DB_QUERY_LATENCY.labels(alias)

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.histogram.observe(time.perf_counter() - started)


class MetricsMiddleware:
    """Time each request by view, and each database query made while serving it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(
                    connection.execute_wrapper(_QueryTimer(connection.alias))
                )
            response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(
            _view_label(request), method, str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response

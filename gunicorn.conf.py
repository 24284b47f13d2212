"""Gunicorn settings; every value can be overridden from the environment.

Threaded workers (gthread), WEB_CONCURRENCY processes of GUNICORN_THREADS
threads, default 2 x 8 for 2 cores. An order spends most of its time waiting
on PostgreSQL and Redis, and a sync worker's core idles while it waits; with
8 threads per process both cores stay busy, and kept-alive connections save
the accept and parse a sync worker pays on every request. Measured side by
side on 2 cores (docs/orders.md, "Worker model"): checkout 2.2-2.7x the
orders/s of 2 sync workers, the product list 3.1x; 4 threads, or 3-4
processes, did worse. As a rule for more cores: one process per core, 8
threads each, and mind that every thread holds its own database connection
(WEB_CONCURRENCY x GUNICORN_THREADS per instance, CONN_MAX_AGE). Set
GUNICORN_WORKER_CLASS=sync GUNICORN_THREADS=1 for the previous behaviour.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "") == "1" else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Prometheus multiprocess mode (shop/core/metrics.py): each worker writes its
# samples to PROMETHEUS_MULTIPROC_DIR and /metrics adds them all up.
def on_starting(server):
    """Start from an empty metrics directory: old files would be added in."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.remove(os.path.join(path, name))


def child_exit(server, worker):
    """Retire a dead worker's live gauges; its counters stay in the totals."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

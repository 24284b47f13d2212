"""Gunicorn settings; every value can be overridden from the environment.

Sync workers, WEB_CONCURRENCY of them, default 3 for 2 cores (one more than
the cores: a checkout waits on PostgreSQL for most of its time, and a third
process keeps the cores busy meanwhile). Measured side by side on 2 cores
with the box otherwise quiet (docs/orders.md, "Worker model"): 3 sync
workers gave the most orders/s on spread baskets (+54 % / +9 % over 2 at
8 / 32 clients) and the product list (+5 %); gthread (2 x 2, 2 x 4, 2 x 8)
cost more CPU per request under the GIL and did worse, except on a box
saturated by other processes, where 2 x 8 threads won. As a rule for more
cores: cores + 1 sync workers. GUNICORN_WORKER_CLASS=gthread with
GUNICORN_THREADS=N switches to threads; every thread then holds its own
database connection (WEB_CONCURRENCY x GUNICORN_THREADS per instance).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
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

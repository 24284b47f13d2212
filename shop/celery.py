"""The Celery app: configured from Django settings (the CELERY_ namespace).

Workers: `celery -A shop worker`; schedules: `celery -A shop beat`.
With WORKER_METRICS_PORT set, a worker serves its processes' Prometheus
metrics on that port (shop.core.metrics.worker_metrics_serve).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.prod")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _worker_metrics_start(**kwargs: Any) -> None:
    """In the worker's main process, before the pool forks its children."""
    from django.conf import settings

    if settings.WORKER_METRICS_PORT:
        from shop.core.metrics import worker_metrics_serve

        worker_metrics_serve(
            port=settings.WORKER_METRICS_PORT, addr=settings.WORKER_METRICS_ADDR
        )


@worker_process_shutdown.connect
def _worker_metrics_process_dead(pid: int | None = None, **kwargs: Any) -> None:
    """In each pool process as it exits (max tasks reached, warm shutdown)."""
    if pid:
        from shop.core.metrics import worker_process_dead

        worker_process_dead(pid)

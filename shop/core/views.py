"""Health probes for load balancers and orchestrators."""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


@never_cache
def health_live(request):
    return JsonResponse({"status": "ok"})


@never_cache
def health_ready(request):
    checks = {"database": _check_database(), "cache": _check_cache()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _check_broker()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


def _check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("readiness: database unreachable: %s", exc)
        # Drop the broken connection so the next request reconnects.
        connections["default"].close_if_unusable_or_obsolete()
        return "unreachable"
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        logger.warning("readiness: cache unreachable: %s", exc)
        return "unreachable"
    return "ok" if ok else "unreachable"


def _check_broker() -> str:
    # Without a broker workers get no nudges (the sweep catches up later, once
    # it is back): worth taking this instance out of rotation.
    from kombu import Connection

    timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            transport_options={"max_retries": 0, "socket_timeout": timeout},
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:
        logger.warning("readiness: broker unreachable: %s", exc)
        return "unreachable"
    return "ok"

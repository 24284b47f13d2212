"""Health probes for load balancers and orchestrators."""

import logging
import uuid

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from shop.core.replicas import replica_aliases, replica_states

logger = logging.getLogger(__name__)


@never_cache
def health_live(request):
    return JsonResponse({"status": "ok"})


@never_cache
def health_ready(request):
    checks = {"database": _check_database(), "cache": _check_cache()}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    if replica_aliases():
        # Listed for operators, never a reason to take this instance out of
        # the balancer: reads fall back to the primary (shop.core.replicas).
        body["replicas"] = replica_states()
    return JsonResponse(body, status=200 if healthy else 503)


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

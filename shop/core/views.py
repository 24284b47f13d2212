"""The site root and the health probes for load balancers and orchestrators."""

import logging
import uuid

from django.core.cache import cache
from django.db import connections
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
@never_cache
def front_door(request):
    """`/`: staff to the admin, everyone else to the API documentation.

    The backend has no pages of its own: the people who open it in a browser
    are staff (who want the admin) and client developers (the API docs). The
    answer depends on the session, so it is a 302 that no cache keeps.
    """
    user = request.user
    if user.is_active and user.is_staff:
        return HttpResponseRedirect(reverse("admin:index"))
    return HttpResponseRedirect(reverse("docs"))


@never_cache
def health_live(request):
    return JsonResponse({"status": "ok"})


@never_cache
def health_ready(request):
    checks = {"database": _check_database(), "cache": _check_cache()}
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

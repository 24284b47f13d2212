"""The site root, the health probes for load balancers and orchestrators, the
Prometheus scrape, and the admin forms' "too many attempts" page."""

import hmac
import logging
import uuid

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.db import connections
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from shop.core import metrics as shop_metrics
from shop.core.replicas import replica_aliases, replica_states

logger = logging.getLogger(__name__)


@require_safe
@never_cache
def front_door(request: HttpRequest) -> HttpResponseRedirect:
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
def health_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def health_ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "cache": _check_cache()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _check_broker()
    healthy = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
    }
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


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition of every worker's metrics, for a Bearer token.

    404 while METRICS_TOKEN is unset (metrics off), 401 for a missing or wrong
    token; the comparison takes the same time whatever the token.
    """
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponseNotFound("Not found.\n", content_type="text/plain")
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        supplied.strip().encode(), token.encode()
    ):
        response = HttpResponse(
            "Unauthorized.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = shop_metrics.scrape()
    return HttpResponse(body, content_type=content_type)


def _check_broker() -> str:
    # Without a broker workers get no nudges (the sweep catches up later, once
    # it is back): worth taking this instance out of rotation.
    from kombu import Connection

    timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    try:
        # kombu ships no annotations.
        with Connection(  # type: ignore[no-untyped-call]
            settings.CELERY_BROKER_URL,
            connect_timeout=timeout,
            transport_options={"max_retries": 0, "socket_timeout": timeout},
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:
        logger.warning("readiness: broker unreachable: %s", exc)
        return "unreachable"
    return "ok"


def form_throttled(request: HttpRequest, wait: float) -> TemplateResponse:
    """429 for the admin's login and password reset forms past their rate
    (shop.core.throttling.throttle_wait), in the admin's look, with
    Retry-After."""
    seconds = int(wait) + 1
    response = TemplateResponse(
        request,
        "admin/shop/throttled.html",
        {
            **admin.site.each_context(request),
            "title": "Too many attempts",
            "retry_after": seconds,
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response

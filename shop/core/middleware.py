import json
import re
import uuid
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from shop.core import views
from shop.core.logging import client_ip_var, request_id_var
from shop.exceptions import error_body

GetResponse = Callable[[HttpRequest], HttpResponseBase]

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def client_address(request: HttpRequest) -> str:
    """The client's address as the throttles see it (DRF's NUM_PROXIES rule).

    Behind N trusted proxies the Nth X-Forwarded-For entry from the right is
    the client; entries further left were sent by the client and prove
    nothing. With NUM_PROXIES=0 only the socket address counts.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = int(settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0)
    if not proxies or not forwarded:
        return remote
    entries = str(forwarded).split(",")
    client: str = entries[-min(proxies, len(entries))]
    return client.strip()


class RequestIdMiddleware:
    """Tag the request, its log lines and its response with one id.

    A well-formed `X-Request-ID` from the proxy is kept so ids line up across
    services; anything else is replaced by a fresh UUID. Log lines also carry
    the client address, resolved through the trusted proxies.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = (
            incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        request.client_ip = client_address(request)  # type: ignore[attr-defined]
        ip_token = client_ip_var.set(request.client_ip)  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            client_ip_var.reset(ip_token)
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class HealthProbeMiddleware:
    """Serve the health probes for any Host header, before host validation.

    Orchestrators and balancers probe a container by its address
    (127.0.0.1:8000, 10.0.3.7:8000), never by the public name in
    ALLOWED_HOSTS, and over plain HTTP. CommonMiddleware would answer them 400
    (DisallowedHost) and SecurityMiddleware could redirect them to HTTPS, so
    the two probe paths are answered here, ahead of both; every other path
    keeps host validation. The probes read no host, cookie or session.
    """

    probes: dict[str, Callable[[HttpRequest], HttpResponse]] = {
        "/health/live": views.health_live,
        "/health/ready": views.health_ready,
    }

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        probe = self.probes.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class BodySizeLimitMiddleware:
    """Refuse API bodies above DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413.

    Django only enforces the limit when it reads the body itself; DRF's
    parsers read the stream, so the declared length is checked here first.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.content_type == "multipart/form-data" and limit is not None:
            # File uploads (product images) need more; Django spools them to disk.
            limit = max(limit, settings.API_MULTIPART_MAX_BYTES)
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if not length and "HTTP_TRANSFER_ENCODING" in request.META:
                # DRF reads no body without a Content-Length, so a chunked
                # request would be handled as if it were empty.
                return JsonResponse(
                    error_body(
                        "length_required",
                        "Send the request body with a Content-Length header.",
                    ),
                    status=411,
                )
            if length > limit:
                return JsonResponse(
                    error_body(
                        "payload_too_large",
                        f"The request body is larger than {limit} bytes.",
                        {"max_bytes": limit},
                    ),
                    status=413,
                )
        return self.get_response(request)


# Codes and messages for the errors Django answers itself, outside DRF.
_DJANGO_ERRORS = {
    400: ("bad_request", "Bad request."),
    403: ("permission_denied", "You may not do this."),
    404: ("not_found", "No such API endpoint or object."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("payload_too_large", "The request body is too large."),
    500: ("server_error", "Internal server error."),
}


def _generic_error(status: int) -> tuple[str, str]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return phrase.lower().replace(" ", "_").replace("-", "_"), f"{phrase}."


class ApiErrorMiddleware:
    """Give every error response under /api/ the API's JSON error body.

    DRF views already answer in that shape; this covers what Django answers
    itself, whatever the URLconf: an unknown path (404), a plain view's 405,
    an uncaught exception (500, also with DEBUG on), a bad Host header (400).
    Headers such as Allow and CORS stay as they were.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and isinstance(response, HttpResponse)  # not streaming
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            code, message = _DJANGO_ERRORS.get(status) or _generic_error(status)
            response.content = json.dumps(error_body(code, message))
            response["Content-Type"] = "application/json"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


# --- Site-only middleware --------------------------------------------------
# The API authenticates with JWTs (DRF sets request.user itself) and never
# uses sessions or messages; only the admin and Django's own pages do. These
# subclasses skip that work for /api/ requests (messages alone built two
# storage objects per request) and behave as Django's everywhere else.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SiteSessionMiddleware(SessionMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not _is_api(request):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponse
    ) -> HttpResponse:
        if not hasattr(request, "session"):
            return response
        return super().process_response(request, response)


class SiteAuthenticationMiddleware(AuthenticationMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not _is_api(request):
            super().process_request(request)


class SiteMessageMiddleware(MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if not _is_api(request):
            super().process_request(request)

import re
import uuid

from django.conf import settings
from django.http import JsonResponse

from shop.core.logging import request_id_var
from shop.exceptions import error_body

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestIdMiddleware:
    """Tag the request, its log lines and its response with one id.

    A well-formed `X-Request-ID` from the proxy is kept so ids line up across
    services; anything else is replaced by a fresh UUID.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse API bodies above DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413.

    Django only enforces the limit when it reads the body itself; DRF's
    parsers read the stream, so the declared length is checked here first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
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

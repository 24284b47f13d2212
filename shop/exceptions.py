"""Domain errors and the one JSON error shape of the API.

Every error the API returns has the body::

    {"code": "<machine code>", "message": "<human text>", "extra": {...}}

`code` is stable and meant for clients; `message` is for people; `extra`
carries details such as field errors (`extra.fields`) or per-line stock
shortages (`extra.lines`).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class ShopError(Exception):
    """Base of the errors services raise; the API maps them to responses."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, extra: dict | None = None):
        self.message = message or self.message
        self.extra = extra or {}
        super().__init__(self.message)


class Conflict(ShopError):
    """The request is valid but conflicts with the current state."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "The request conflicts with the current state of the resource."


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


_DRF_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, extra: dict | None = None) -> dict:
    return {"code": code, "message": message, "extra": extra or {}}


def _first_message(detail) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


def _drf_body(exc: exceptions.APIException) -> dict:
    code = next(
        (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)),
        getattr(exc, "default_code", "error"),
    )
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {
                key: value if isinstance(value, list | dict) else [value]
                for key, value in detail.items()
            }
            return error_body(
                code, "Invalid input: " + _first_message(detail), {"fields": fields}
            )
        return error_body(
            code,
            _first_message(detail),
            {"fields": {"non_field_errors": detail}},
        )
    if isinstance(exc.detail, dict):
        # simplejwt puts {"detail", "code", "messages"} here.
        message = str(exc.detail.get("detail", _first_message(exc.detail)))
        return error_body(code, message)
    extra = {}
    # DRF sets Throttled.wait in __init__; the stubs do not declare it.
    wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
    if wait is not None:
        extra["retry_after"] = int(wait) + 1
    return error_body(code, str(exc.detail), extra)


# Seconds a client is told to wait when the database is briefly unavailable.
DATABASE_RETRY_AFTER = 5


def api_exception_handler(exc, context):
    """Render every exception the API raises in the one error shape."""
    # Imported here: rest_framework.views loads the parser classes, which
    # import this module.
    from rest_framework.views import set_rollback

    headers = {}
    if isinstance(exc, ShopError):
        set_rollback()
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        return Response(
            error_body(exc.code, exc.message, exc.extra),
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, IntegrityError):
        # A unique value taken by a concurrent request between validation and
        # insert: the client's input conflicts, the server is fine.
        logger.info("integrity error turned into 400: %s", exc)
        set_rollback()
        return Response(
            error_body(
                "integrity_error",
                "The data conflicts with existing records (a unique value is "
                "already taken or a rule was broken).",
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable, restarting or cancelled the statement:
        # nothing was committed, and the same request may succeed shortly.
        logger.warning("database unavailable, answering 503: %s", exc)
        set_rollback()
        return Response(
            error_body(
                "service_unavailable",
                "The service is temporarily unavailable; retry shortly.",
                {"retry_after": DATABASE_RETRY_AFTER},
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    if not isinstance(exc, exceptions.APIException):
        return None
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + 1)
    set_rollback()
    return Response(_drf_body(exc), status=exc.status_code, headers=headers)

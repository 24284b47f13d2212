"""Request ids for log lines: one id per request, set by RequestIdMiddleware."""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id == "-":
            # Django logs 4xx/5xx responses ("Not Found: /x") after the
            # middleware chain has returned, but passes the request along.
            request = getattr(record, "request", None)
            request_id = getattr(request, "request_id", "-")
        record.request_id = request_id
        return True

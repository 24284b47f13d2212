"""Request id and client address for log lines, set by RequestIdMiddleware."""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
client_ip_var: ContextVar[str] = ContextVar("client_ip", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        client_ip = client_ip_var.get()
        if request_id == "-":
            # Django logs 4xx/5xx responses ("Not Found: /x") after the
            # middleware chain has returned, but passes the request along.
            request = getattr(record, "request", None)
            request_id = getattr(request, "request_id", "-")
            client_ip = getattr(request, "client_ip", "-")
        record.request_id = request_id
        record.client_ip = client_ip
        return True

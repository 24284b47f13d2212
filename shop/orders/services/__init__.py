"""Order services: every write that keeps an order invariant goes through here."""

from shop.orders.services.checkout import (
    MAX_LINE_QUANTITY,
    MAX_ORDER_LINES,
    LineRequest,
    order_lines_merge,
    order_place,
)
from shop.orders.services.idempotency import (
    IdempotentResult,
    idempotency_key_check,
    idempotency_keys_prune,
    idempotent_run,
    request_fingerprint,
)
from shop.orders.services.notifications import (
    order_placed_notify,
    order_shipped_notify,
)
from shop.orders.services.workflow import (
    TRANSITIONS,
    order_cancel,
    order_transition,
    order_transition_allowed,
)

__all__ = [
    "MAX_LINE_QUANTITY",
    "MAX_ORDER_LINES",
    "TRANSITIONS",
    "IdempotentResult",
    "LineRequest",
    "idempotency_key_check",
    "idempotency_keys_prune",
    "idempotent_run",
    "order_cancel",
    "order_lines_merge",
    "order_place",
    "order_placed_notify",
    "order_shipped_notify",
    "order_transition",
    "order_transition_allowed",
    "request_fingerprint",
]

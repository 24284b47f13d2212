"""Errors the orders services raise; shop.exceptions maps them to responses."""

from rest_framework import status

# Checkout refuses a short stock with the same error as staff adjustments.
from shop.catalog.services.stock import InsufficientStock as InsufficientStock
from shop.exceptions import Conflict, ShopError


class OrderNotFound(ShopError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Order not found."


class InvalidOrderLines(ShopError):
    code = "invalid_lines"
    message = "The order lines are invalid."


class ProductUnavailable(ShopError):
    code = "product_unavailable"
    message = "Some products do not exist or are not for sale."


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = "The order cannot move to that status."


class IdempotencyKeyInvalid(ShopError):
    code = "invalid_idempotency_key"
    message = "The Idempotency-Key header must be 1 to 255 printable ASCII characters."


class IdempotencyKeyMismatch(ShopError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_mismatch"
    message = (
        "This Idempotency-Key was already used with a different request body; "
        "use a new key for a new request."
    )


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    message = (
        "A request with this Idempotency-Key is still being processed; "
        "retry shortly to get its result."
    )

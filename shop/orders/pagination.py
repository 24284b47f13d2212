"""Order list pages: limit/offset, or cursor pages for deep lists."""

from shop.core.pagination import LimitOffsetOrCursorPagination


class OrderPagination(LimitOffsetOrCursorPagination):
    # The list's own order; indexes order_created_incl (staff) and
    # order_customer_created_incl (a customer's own) lead with it.
    cursor_ordering = ("-created_at", "-id")

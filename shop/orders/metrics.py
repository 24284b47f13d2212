"""The orders app's metrics (shop.core.metrics says how apps add theirs)."""

from prometheus_client import Counter

ORDERS_PLACED = Counter(
    "shop_orders_placed",
    "Orders placed, counted when the order's transaction commits.",
)

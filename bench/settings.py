"""Benchmark settings: production settings plus the baseline endpoint.

Only bench/product_list.py uses this module; production never routes to
bench/urls.py.
"""

from shop.settings.prod import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# 0 measures the shop with an exact COUNT(*) on every request.
SHOP_PRODUCT_COUNT_CACHE_SECONDS = env.int(  # noqa: F405
    "SHOP_PRODUCT_COUNT_CACHE_SECONDS", default=10
)

"""Product list pagination with a briefly cached total for public callers.

Counting 100k active products costs PostgreSQL far more than rendering a
page of 20, and every page of every filter combination asks for it. For
customers and anonymous visitors the total of one filter combination is
therefore cached for SHOP_PRODUCT_COUNT_CACHE_SECONDS (default 10; 0 turns it
off). Catalogue writes through the services bump a version, so staff edits
show at once; only stock-driven `in_stock` totals may lag by that long.
Staff always get an exact count.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

from shop.core.pagination import LimitOffsetPagination

VERSION_KEY = "catalog:product-count:version"
COUNTED_PARAMS = ("category", "min_price", "max_price", "in_stock", "search")


def product_count_ttl() -> int:
    return getattr(settings, "SHOP_PRODUCT_COUNT_CACHE_SECONDS", 10)


def product_counts_invalidate() -> None:
    """Forget cached product totals (after a catalogue write)."""
    if product_count_ttl():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 1, None)


class ProductPagination(LimitOffsetPagination):
    cache_key: str | None = None

    def count_cache_enable(self, query_params) -> None:
        if not product_count_ttl():
            return
        raw = "&".join(
            f"{name}={query_params.get(name, '')}" for name in COUNTED_PARAMS
        )
        digest = hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
        self.cache_key = f"catalog:product-count:{digest}"

    def cache_reads(self) -> list[str]:
        """The keys `get_count` reads: the catalogue's version and the total
        cached with the version it was counted at (valid while that is
        current). Empty when the total is not cached."""
        return [] if self.cache_key is None else [VERSION_KEY, self.cache_key]

    def get_count(self, queryset) -> int:
        if self.cache_key is None:
            return super().get_count(queryset)
        # Read by the throttles' round trip when they ran (ProductViewSet),
        # else here, in one round trip of its own.
        reads = getattr(self.request, "cache_reads", None) or {}
        if self.cache_key in reads:
            found = reads
        else:
            found = cache.get_many(self.cache_reads())
        version = found.get(VERSION_KEY, 0)
        cached = found.get(self.cache_key)
        if cached is not None and cached[0] == version:
            return cached[1]
        count = super().get_count(queryset)
        cache.set(self.cache_key, (version, count), product_count_ttl())
        return count

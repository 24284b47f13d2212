"""Query-string filters of the catalogue lists.

Every value goes through a strict form field first (shop.core.filtering),
so anything the schema does not allow (non-numeric prices, NUL bytes,
over-long search terms) is a 400 and never reaches SQL.
"""

from django.db.models import Q
from rest_framework.filters import OrderingFilter

from shop.catalog import selectors
from shop.catalog.models import Category, Product
from shop.catalog.validators import SLUG_MAX_LENGTH
from shop.core.filtering import (
    BoolFilter,
    IdFilter,
    MoneyFilter,
    PatternFilter,
    StrictFilterSet,
    TextFilter,
)

MAX_SEARCH_TERMS = 5
# An id (up to 18 digits, so always a bigint) or a slug with a non-digit.
CATEGORY_PATTERN = "^(?:[0-9]{1,18}|[-a-zA-Z0-9_]*[-a-zA-Z_][-a-zA-Z0-9_]*)$"


def _category_value(value: str) -> int | str:
    return int(value) if value.isdigit() else value.lower()


class ProductFilter(StrictFilterSet):
    category = PatternFilter(
        method="by_category",
        pattern=CATEGORY_PATTERN,
        max_length=SLUG_MAX_LENGTH,
        convert=_category_value,
        help_text="Category id or slug; products of its subcategories included.",
    )
    min_price = MoneyFilter(
        field_name="price", lookup_expr="gte", help_text="Lowest price, inclusive."
    )
    max_price = MoneyFilter(
        field_name="price", lookup_expr="lte", help_text="Highest price, inclusive."
    )
    in_stock = BoolFilter(
        method="by_in_stock",
        help_text="true: only products with stock; false: only sold-out ones.",
    )
    search = TextFilter(
        method="by_search",
        max_length=100,
        help_text="Words that must all appear in the name, SKU or description.",
    )
    include_inactive = BoolFilter(
        method="by_nothing",
        help_text="Staff only: list inactive products too (ignored for others).",
    )

    class Meta:
        model = Product
        fields = ["category", "min_price", "max_price", "in_stock", "search"]

    def by_category(self, queryset, name, value):
        ids = selectors.category_subtree_ids(category=value)
        return queryset.filter(category_id__in=ids)

    def by_nothing(self, queryset, name, value):
        # Read by the view, which picks the queryset; validated here.
        return queryset

    def by_in_stock(self, queryset, name, value):
        return queryset.filter(stock__gt=0) if value else queryset.filter(stock=0)

    def by_search(self, queryset, name, value):
        # icontains becomes UPPER(col::text) LIKE UPPER(%s) on PostgreSQL,
        # which the trigram indexes of migration 0003 serve.
        for term in value.split()[:MAX_SEARCH_TERMS]:
            queryset = queryset.filter(
                Q(name__icontains=term)
                | Q(sku__icontains=term)
                | Q(description__icontains=term)
            )
        return queryset


class CategoryListFilter(StrictFilterSet):
    parent = IdFilter(field_name="parent_id", help_text="Parent category id.")
    search = TextFilter(method="by_search", max_length=100)

    class Meta:
        model = Category
        fields = ["parent", "search"]

    def by_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class StableOrderingFilter(OrderingFilter):
    """DRF ordering (unknown fields ignored) with `id` as the tiebreaker.

    Without a unique last key, rows with equal prices could move between
    pages of limit/offset pagination.
    """

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") == "id" for field in ordering):
            last_desc = ordering and ordering[-1].startswith("-")
            ordering.append("-id" if last_desc else "id")
        return ordering

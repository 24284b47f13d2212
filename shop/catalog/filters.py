"""Query-string filters of the catalogue lists.

Every value goes through a Django form field first, so garbage (non-numeric
prices, NUL bytes, over-long search terms) is a 400 and never reaches SQL.
"""

import django_filters
from django import forms
from django.db.models import Q
from rest_framework.filters import OrderingFilter

from shop.catalog import selectors
from shop.catalog.models import Category, Product

MAX_SEARCH_TERMS = 5
# Largest value a bigint primary key can hold.
MAX_ID = 2**63 - 1


class CategoryField(forms.CharField):
    """A category id or slug."""

    default_error_messages = {"invalid": "Give a category id or slug."}

    def to_python(self, value):
        value = super().to_python(value)
        if len(value) > 200:
            raise forms.ValidationError(self.error_messages["invalid"])
        if value.isdigit():
            if int(value) > MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"])
            return int(value)
        return value.lower()


class CategoryFilter(django_filters.Filter):
    field_class = CategoryField


class ProductFilter(django_filters.FilterSet):
    category = CategoryFilter(
        method="by_category",
        help_text="Category id or slug; products of its subcategories included.",
    )
    min_price = django_filters.NumberFilter(
        field_name="price",
        lookup_expr="gte",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Lowest price, inclusive.",
    )
    max_price = django_filters.NumberFilter(
        field_name="price",
        lookup_expr="lte",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Highest price, inclusive.",
    )
    in_stock = django_filters.BooleanFilter(
        method="by_in_stock",
        help_text="true: only products with stock; false: only sold-out ones.",
    )
    search = django_filters.CharFilter(
        method="by_search",
        max_length=100,
        help_text="Words that must all appear in the name, SKU or description.",
    )

    class Meta:
        model = Product
        fields = ["category", "min_price", "max_price", "in_stock", "search"]

    def by_category(self, queryset, name, value):
        ids = selectors.category_subtree_ids(category=value)
        return queryset.filter(category_id__in=ids)

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


class CategoryListFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(
        field_name="parent_id", min_value=1, max_value=MAX_ID
    )
    search = django_filters.CharFilter(method="by_search", max_length=100)

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

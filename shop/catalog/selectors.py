"""Catalogue reads: querysets scoped to the caller, ledger checks, reports."""

from django.db.models import F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from shop.catalog.models import Category, Product

# Columns of the public product representation, in output order. The list
# endpoint reads exactly these with .values() (see serializers.product_row).
PRODUCT_COLUMNS = (
    "id",
    "name",
    "slug",
    "sku",
    "description",
    "category_id",
    "price",
    "stock",
    "is_active",
    "image",
    "created_at",
    "updated_at",
)


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name", "id")


def category_subtree_ids(*, category: int | str) -> set[int]:
    """Ids of the category given by id or slug and of every category below it.

    One query: categories are few, so the tree is walked in Python instead of
    with a recursive CTE that SQLite and PostgreSQL spell differently.
    """
    children: dict[int | None, list[int]] = {}
    todo: list[int] = []
    for pk, parent_id, slug in Category.objects.values_list("id", "parent_id", "slug"):
        children.setdefault(parent_id, []).append(pk)
        if pk == category or slug == category:
            todo.append(pk)
    found: set[int] = set()
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, ()))
    return found


def product_list(*, include_inactive: bool = False) -> QuerySet[Product]:
    """Products in id order; active ones only unless asked otherwise."""
    queryset = Product.objects.order_by("id")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset


def product_low_stock(*, threshold: int) -> QuerySet[Product]:
    """Active products with at most `threshold` units, emptiest first."""
    return (
        Product.objects.filter(is_active=True, stock__lte=threshold)
        .select_related("category")
        .order_by("stock", "sku")
    )


def product_stock_drift() -> QuerySet[Product]:
    """Products whose stock differs from the sum of their movements.

    One aggregate query over products left-joined to their movements.
    """
    return (
        Product.objects.annotate(
            ledger=Coalesce(
                Sum("movements__delta"), Value(0), output_field=IntegerField()
            )
        )
        .exclude(stock=F("ledger"))
        .order_by("sku")
        .values("id", "sku", "name", "stock", "ledger")
    )

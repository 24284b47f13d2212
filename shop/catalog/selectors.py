"""Catalogue reads: querysets scoped to the caller, ledger checks, reports."""

from typing import TypedDict

from django.db import connection
from django.db.models import F, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from shop.catalog.models import Category, Product
from shop.core.db import driver_timestamps

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


# The public list's default page: active products in id order. Building and
# compiling the equivalent QuerySet costs the web worker more CPU (~0.4 ms)
# than PostgreSQL spends answering it, on the busiest request of the shop.
ACTIVE_PRODUCT_PAGE_SQL = """
    SELECT id, name, slug, sku, description, category_id, price, stock,
           is_active, image, created_at, updated_at
    FROM catalog_product
    WHERE is_active
    ORDER BY id
    LIMIT %(limit)s OFFSET %(offset)s
"""


class ActiveProductRows:
    """Active products in id order as PRODUCT_COLUMNS rows, read a slice at a time.

    What `product_list().values(*PRODUCT_COLUMNS)` gives, for a paginator:
    `count()` through the ORM, a page through ACTIVE_PRODUCT_PAGE_SQL on
    PostgreSQL (whose driver already returns the ORM's types: Decimal, aware
    datetimes through its own loader, see `driver_timestamps`, bool). Other
    databases take the ORM path.
    """

    def _queryset(self) -> QuerySet:
        return product_list().values(*PRODUCT_COLUMNS)

    def count(self) -> int:
        return self._queryset().count()

    def __getitem__(self, window: slice) -> list[dict]:
        if connection.vendor != "postgresql":
            return list(self._queryset()[window])
        limit = window.stop - window.start
        with connection.cursor() as cursor:
            driver_timestamps(cursor)
            cursor.execute(
                ACTIVE_PRODUCT_PAGE_SQL, {"limit": limit, "offset": window.start}
            )
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def product_low_stock(*, threshold: int) -> QuerySet[Product]:
    """Active products with at most `threshold` units, emptiest first."""
    return (
        Product.objects.filter(is_active=True, stock__lte=threshold)
        .select_related("category")
        .order_by("stock", "sku")
    )


class StockDriftRow(TypedDict):
    id: int
    sku: str
    name: str
    stock: int
    ledger: int


def product_stock_drift() -> QuerySet[Product, StockDriftRow]:
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

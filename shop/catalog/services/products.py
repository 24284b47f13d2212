"""Writes on categories and products that keep the catalogue's invariants."""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.pagination import product_counts_invalidate
from shop.catalog.services.stock import _apply, stock_set
from shop.catalog.validators import SLUG_MAX_LENGTH, sku_normalize
from shop.exceptions import Conflict
from shop.users.models import User

# Fields a product update may change directly; stock goes through the ledger.
PRODUCT_EDITABLE_FIELDS = frozenset(
    {"name", "slug", "sku", "description", "category", "price", "is_active"}
)


class ProductInUse(Conflict):
    code = "product_in_use"
    message = "The product appears on orders and cannot be deleted."


class CategoryInUse(Conflict):
    code = "category_in_use"
    message = "The category is in use and cannot be deleted."


def product_slug_generate(*, name: str, sku: str, taken: set[str] | None = None) -> str:
    """Return a free slug built from the name (then the SKU) for a new product."""
    base = slugify(name)[:150].strip("-") or slugify(sku)[:150] or "product"
    candidates = [base, f"{base}-{slugify(sku)}"[:SLUG_MAX_LENGTH]]
    candidates += [f"{candidates[1]}-{n}" for n in range(2, 50)]
    for slug in candidates:
        if taken is not None:
            if slug not in taken:
                return slug
        elif not Product.objects.filter(slug=slug).exists():
            return slug
    raise Conflict("Could not derive a free slug; give one explicitly.")


@transaction.atomic
def product_create(
    *,
    name: str,
    sku: str,
    price: Decimal,
    slug: str = "",
    description: str = "",
    category: Category | None = None,
    is_active: bool = True,
    stock: int = 0,
    user: User | None = None,
) -> Product:
    """Create a product; its initial stock is recorded as an INITIAL movement."""
    product = Product(
        name=name,
        sku=sku,
        slug=slug or product_slug_generate(name=name, sku=sku_normalize(sku)),
        price=price,
        description=description,
        category=category,
        is_active=is_active,
        stock=0,
    )
    product.save()
    if stock:
        # The row was inserted by this transaction, so nobody else can see or
        # lock it yet: no select_for_update needed.
        _apply(
            product,
            delta=stock,
            reason=StockMovement.Reason.INITIAL,
            user=user,
            note="initial stock",
        )
    transaction.on_commit(product_counts_invalidate)
    return product


@transaction.atomic
def product_update(
    *,
    product_id: int,
    changes: Mapping[str, Any],
    stock: int | None = None,
    expected_stock: int | None = None,
    user: User | None = None,
    stock_note: str = "",
) -> Product:
    """Change a product's fields; a new `stock` is recorded as a movement.

    The product row is locked first, so the stock difference is computed
    against the current value and concurrent sales are never lost from the
    ledger.
    """
    unknown = set(changes) - PRODUCT_EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    product = Product.objects.select_for_update().get(pk=product_id)
    for field, value in changes.items():
        setattr(product, field, value)
    if changes:
        # update_fields keeps the stale in-memory stock out of the UPDATE.
        product.save(update_fields=[*changes, "updated_at"])
    if stock is not None:
        product = stock_set(
            product_id=product.pk,
            stock=stock,
            expected=expected_stock,
            user=user,
            note=stock_note or "set through the API",
        )
    transaction.on_commit(product_counts_invalidate)
    return product


def product_delete(*, product: Product) -> None:
    """Delete a product that no order references, or raise ProductInUse."""
    try:
        with transaction.atomic():
            product.delete()
            transaction.on_commit(product_counts_invalidate)
    except (ProtectedError, IntegrityError) as exc:
        # IntegrityError: an order took the product between the collector's
        # check and the commit.
        raise ProductInUse(
            f"Product {product.sku} appears on orders and cannot be deleted; "
            "deactivate it instead (is_active=false).",
            extra={"product": product.pk},
        ) from exc


def products_set_active(*, product_ids: Iterable[int], is_active: bool) -> int:
    """Activate or deactivate products at once; return how many changed."""
    changed = (
        Product.objects.filter(pk__in=list(product_ids))
        .exclude(is_active=is_active)
        .update(is_active=is_active, updated_at=timezone.now())
    )
    transaction.on_commit(product_counts_invalidate)
    return changed


def category_delete(*, category: Category) -> None:
    """Delete a category without products or subcategories, or raise."""
    if category.products.exists():
        raise CategoryInUse(
            f"Category {category.slug} still has products; move or delete them first.",
            extra={"category": category.pk},
        )
    if category.children.exists():
        raise CategoryInUse(
            f"Category {category.slug} has subcategories; move or delete them first.",
            extra={"category": category.pk},
        )
    try:
        with transaction.atomic():
            category.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise CategoryInUse(
            f"Category {category.slug} is in use and cannot be deleted.",
            extra={"category": category.pk},
        ) from exc

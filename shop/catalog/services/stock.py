"""The stock ledger: the only path that changes stock outside checkout."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shop.catalog.models import Product, StockMovement
from shop.exceptions import Conflict, ShopError

# Product.stock is a 32-bit integer column.
MAX_STOCK = 2**31 - 1


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "Not enough stock."


class StockChanged(Conflict):
    code = "stock_changed"
    message = "The stock changed since it was read."


class StockOutOfRange(ShopError):
    code = "stock_out_of_range"
    message = f"Stock must stay between 0 and {MAX_STOCK}."


def _locked(product_id: int) -> Product:
    return Product.objects.select_for_update().get(pk=product_id)


def _apply(
    product: Product,
    *,
    delta: int,
    reason: str,
    user=None,
    order=None,
    note: str = "",
) -> Product:
    # `product` must be locked by the caller's transaction, so its stock is
    # the current committed value and the delta cannot race another writer.
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise TypeError("delta must be an int")
    if delta == 0:
        return product
    new_stock = product.stock + delta
    if new_stock < 0:
        raise InsufficientStock(
            f"Stock of {product.sku} cannot go below zero "
            f"(have {product.stock}, change {delta}).",
            extra={"product": product.pk, "available": product.stock},
        )
    if new_stock > MAX_STOCK:
        raise StockOutOfRange(
            f"Stock of {product.sku} would exceed {MAX_STOCK}.",
            extra={"product": product.pk, "available": product.stock},
        )
    now = timezone.now()
    Product.objects.filter(pk=product.pk).update(
        stock=F("stock") + delta, updated_at=now
    )
    StockMovement.objects.create(
        product=product,
        delta=delta,
        reason=reason,
        user=user,
        order=order,
        note=note[:255],
    )
    product.stock = new_stock
    product.updated_at = now
    return product


@transaction.atomic
def stock_adjust(
    *,
    product_id: int,
    delta: int,
    reason: str = StockMovement.Reason.ADJUSTMENT,
    user=None,
    order=None,
    note: str = "",
) -> Product:
    """Apply a signed stock change and record it as a movement, or change nothing.

    The delta is applied to the locked current value, so a staff edit never
    overwrites sales that happened since the edit form was loaded.
    """
    return _apply(
        _locked(product_id),
        delta=delta,
        reason=reason,
        user=user,
        order=order,
        note=note,
    )


@transaction.atomic
def stock_set(
    *,
    product_id: int,
    stock: int,
    expected: int | None = None,
    user=None,
    note: str = "",
    reason: str | None = None,
) -> Product:
    """Bring a product's stock to `stock` by recording the difference.

    The difference is computed under the row lock, so the ledger always adds
    up. With `expected`, the change is refused (409 `stock_changed`) when the
    stock is no longer the value the caller based its decision on.
    """
    product = _locked(product_id)
    if expected is not None and product.stock != expected:
        raise StockChanged(
            f"Stock of {product.sku} is {product.stock}, not {expected}: it "
            "changed since it was read. Reload and try again.",
            extra={"product": product.pk, "current": product.stock},
        )
    return _apply(
        product,
        delta=stock - product.stock,
        reason=reason or StockMovement.Reason.ADJUSTMENT,
        user=user,
        note=note,
    )


@transaction.atomic
def stock_set_many(
    *,
    targets: dict[int, int],
    reason: str,
    user=None,
    note: str = "",
    batch_size: int = 1000,
) -> int:
    """Bring many products to given stock levels; one movement per change.

    Rows are locked in primary-key order (so concurrent bulk runs queue
    instead of deadlocking) and each difference is computed against the
    locked value. Returns the number of movements written.
    """
    written = 0
    ids = sorted(targets)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        locked = list(
            Product.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .only("pk", "stock", "updated_at")
        )
        now = timezone.now()
        changed, movements = [], []
        for product in locked:
            target = targets[product.pk]
            if not 0 <= target <= MAX_STOCK:
                raise StockOutOfRange(extra={"product": product.pk})
            delta = target - product.stock
            if delta:
                product.stock, product.updated_at = target, now
                changed.append(product)
                movements.append(
                    StockMovement(
                        product=product,
                        delta=delta,
                        reason=reason,
                        user=user,
                        note=note[:255],
                    )
                )
        Product.objects.bulk_update(changed, ["stock", "updated_at"])
        StockMovement.objects.bulk_create(movements)
        written += len(movements)
    return written

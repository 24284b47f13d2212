from django.db import transaction
from django.db.models import F

from shop.catalog.models import Product, StockMovement
from shop.exceptions import Conflict


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "Not enough stock."


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
    product = Product.objects.select_for_update().get(pk=product_id)
    if delta == 0:
        return product
    if product.stock + delta < 0:
        raise InsufficientStock(
            f"Stock of {product.sku} cannot go below zero "
            f"(have {product.stock}, change {delta}).",
            extra={"product": product.pk, "available": product.stock},
        )
    Product.objects.filter(pk=product.pk).update(stock=F("stock") + delta)
    StockMovement.objects.create(
        product=product, delta=delta, reason=reason, user=user, order=order, note=note
    )
    product.refresh_from_db(fields=["stock", "updated_at"])
    return product


def stock_set(*, product_id: int, stock: int, user=None, note: str = "", reason=None):
    """Bring a product's stock to `stock` by recording the difference."""
    with transaction.atomic():
        current = Product.objects.select_for_update().values_list("stock", flat=True)
        delta = stock - current.get(pk=product_id)
        return stock_adjust(
            product_id=product_id,
            delta=delta,
            reason=reason or StockMovement.Reason.ADJUSTMENT,
            user=user,
            note=note,
        )

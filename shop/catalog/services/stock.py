"""The stock ledger: the one path that changes a product's stock.

Checkout, cancellation, expiry, import, the admin and the API all change
stock through these functions, each of which writes a StockMovement for
every change so a product's stock always equals the sum of its movements.
"""

from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from shop.catalog.models import Product, StockMovement
from shop.core.db import InsertBatch, field_column, instances_insert
from shop.exceptions import Conflict
from shop.users.models import User

# StockMovement.order is an orders.Order, a layer above catalog: typed loosely
# so that catalog never imports orders.
OrderRef = Any

# Product.stock is a 32-bit integer column.
MAX_STOCK = 2**31 - 1


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "Not enough stock."


class StockChanged(Conflict):
    code = "stock_changed"
    message = "The stock changed since it was read."


class StockOutOfRange(Conflict):
    # 409 like insufficient_stock, its mirror image: whether a change fits
    # depends on the current stock, not on the request's shape.
    code = "stock_out_of_range"
    message = f"Stock must stay between 0 and {MAX_STOCK}."


def _locked(product_id: int) -> Product:
    return Product.objects.select_for_update().get(pk=product_id)


@cache
def _lock_sql(rows: int, vendor: str) -> str:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(field_column(f)) for f in Product._meta.concrete_fields)
    placeholders = ", ".join(["%s"] * rows)
    # Only quoted names from the model's meta and placeholders go into the
    # text; ids are always parameters.
    return (
        f"SELECT {columns} FROM {qn(Product._meta.db_table)} "  # noqa: S608
        f"WHERE {qn('id')} IN ({placeholders}) ORDER BY {qn('id')}"
        + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    )


def products_lock(*, ids: Collection[int]) -> dict[int, Product]:
    """Lock the products' rows in pk order; return them by pk (missing: absent).

    The one way to lock products: every writer of stock locks through here,
    in pk order, so concurrent checkouts, cancellations and imports with
    overlapping products queue behind each other instead of deadlocking.
    Call inside the transaction that changes them. Plain SQL because this
    runs on every checkout and the ORM costs more CPU to build the SELECT ...
    FOR UPDATE than the database spends running it; `raw()` converts the
    values exactly as the ORM does.
    """
    if not ids:
        return {}
    ids = sorted(ids)
    query = _lock_sql(len(ids), connection.vendor)
    return {p.pk: p for p in Product.objects.raw(query, ids)}


@cache
def _shift_sql(rows: int, sign: str, vendor: str) -> str:
    # UPDATE ... SET stock = stock -/+ CASE id ... END WHERE the result stays
    # within [0, MAX_STOCK]: one statement for all lines, never below zero.
    qn = connection.ops.quote_name
    table, pk, stock = qn(Product._meta.db_table), qn("id"), qn("stock")
    case = f"CASE {pk} " + " ".join(["WHEN %s THEN %s"] * rows) + " END"
    placeholders = ", ".join(["%s"] * rows)
    guard = f"{stock} >= {case}" if sign == "-" else f"{stock} <= %s - {case}"
    returning = ""
    if connection.features.can_return_rows_from_bulk_insert:
        returning = f" RETURNING {pk}"
    return (
        f"UPDATE {table} SET {stock} = {stock} {sign} {case}, "  # noqa: S608
        f"{qn('updated_at')} = %s WHERE {pk} IN ({placeholders}) AND {guard}"
        + returning
    )


def _shift(quantities: Mapping[int, int], sign: str) -> set[int]:
    """Apply the shift in one UPDATE; return the ids of the rows it changed."""
    ids = sorted(quantities)
    case_params = [v for pid in ids for v in (pid, quantities[pid])]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [*case_params, now, *ids]
    if sign == "+":
        params.append(MAX_STOCK)
    params.extend(case_params)
    with connection.cursor() as cursor:
        cursor.execute(_shift_sql(len(ids), sign, connection.vendor), params)
        if connection.features.can_return_rows_from_bulk_insert:
            return {pid for (pid,) in cursor.fetchall()}
        if cursor.rowcount == len(ids):
            return set(ids)
    return set()


def _quantities_check(quantities: Mapping[int, int]) -> None:
    for pid, qty in quantities.items():
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            raise ValueError(f"quantity of product {pid} must be a positive int")


def _movements_write(
    quantities: Mapping[int, int],
    *,
    sign: int,
    reason: str,
    order: OrderRef | None,
    user: User | None,
    note: str,
    batch: InsertBatch | None = None,
) -> None:
    (batch.add if batch is not None else instances_insert)(
        [
            StockMovement(
                product_id=pid,
                delta=sign * qty,
                reason=reason,
                order=order,
                user=user if getattr(user, "pk", None) else None,
                note=note[:255],
            )
            for pid, qty in sorted(quantities.items())
        ]
    )


def stock_take_many(
    *,
    quantities: Mapping[int, int],
    reason: str = StockMovement.Reason.ORDER,
    order: OrderRef | None = None,
    user: User | None = None,
    note: str = "",
    batch: InsertBatch | None = None,
) -> None:
    """Take units of several products in one UPDATE and record the movements.

    All or nothing: if any product lacks the units (or is gone), nothing is
    taken and InsufficientStock lists the short lines with what is available.
    Lock the rows first with `products_lock` when the decision to take them
    depends on what was read, as checkout does. With `batch`, the movements
    are added to it, for the caller to write with its other rows before the
    commit.
    """
    _quantities_check(quantities)
    if not quantities:
        return
    # No savepoint: an error marks the caller's transaction for rollback, so
    # a partly applied UPDATE can never commit, and checkout saves two round
    # trips.
    with transaction.atomic(savepoint=False):
        changed = _shift(quantities, "-")
        if len(changed) != len(quantities):
            stocks = dict(
                Product.objects.filter(pk__in=list(quantities)).values_list(
                    "pk", "stock"
                )
            )
            short = [
                {
                    "product": pid,
                    "requested": qty,
                    "available": stocks.get(pid, 0) + (qty if pid in changed else 0),
                }
                for pid, qty in sorted(quantities.items())
                if pid not in changed
            ]
            raise InsufficientStock(
                "Not enough stock for "
                + ", ".join(str(line["product"]) for line in short)
                + ".",
                extra={"lines": short},
            )
        _movements_write(
            quantities,
            sign=-1,
            reason=reason,
            order=order,
            user=user,
            note=note,
            batch=batch,
        )


def stock_return_many(
    *,
    quantities: Mapping[int, int],
    reason: str = StockMovement.Reason.CANCELLATION,
    order: OrderRef | None = None,
    user: User | None = None,
    note: str = "",
) -> None:
    """Put units of several products back in one UPDATE and record the movements.

    All or nothing: a product that is gone or would pass MAX_STOCK refuses
    the whole return (StockOutOfRange). Lock the rows first with
    `products_lock` so a return queues behind checkouts in pk order.
    """
    _quantities_check(quantities)
    if not quantities:
        return
    with transaction.atomic(savepoint=False):
        changed = _shift(quantities, "+")
        if len(changed) != len(quantities):
            refused = sorted(set(quantities) - changed)
            raise StockOutOfRange(
                f"Stock of products {refused} cannot take the returned units.",
                extra={"products": refused},
            )
        _movements_write(
            quantities, sign=1, reason=reason, order=order, user=user, note=note
        )


def _apply(
    product: Product,
    *,
    delta: int,
    reason: str,
    user: User | None = None,
    order: OrderRef | None = None,
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
    user: User | None = None,
    order: OrderRef | None = None,
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
    user: User | None = None,
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
    user: User | None = None,
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
        locked = products_lock(ids=chunk).values()
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

"""Placing an order: one transaction that takes stock or changes nothing."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from shop.catalog.models import StockMovement
from shop.catalog.services.stock import products_lock, stock_take_many
from shop.core.db import InsertBatch, instances_insert
from shop.orders.events import order_placed_record
from shop.orders.exceptions import (
    InsufficientStock,
    InvalidOrderLines,
    ProductUnavailable,
)
from shop.orders.metrics import ORDERS_PLACED
from shop.orders.models import Order, OrderItem, OrderStatusChange
from shop.orders.totals import line_total, order_totals
from shop.users.models import User

# Caps that keep one order's lock set and row count small; the input
# serializer enforces the same numbers so the API answers 400 before any query.
MAX_LINE_QUANTITY = 1000
MAX_ORDER_LINES = 50
# Order.total and OrderItem.line_total are NUMERIC(12, 2).
MAX_AMOUNT = Decimal("9999999999.99")
MAX_PRODUCT_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class LineRequest:
    product_id: int
    quantity: int


def order_lines_merge(lines: Iterable[LineRequest]) -> dict[int, int]:
    """Sum the quantities of repeated products and check the caps.

    Duplicates are merged rather than rejected, and the caps and the stock
    check apply to the merged quantity, so splitting a line never gets more
    units past either.
    """
    lines = list(lines)
    if not lines:
        raise InvalidOrderLines("An order needs at least one line.")
    if len(lines) > MAX_ORDER_LINES:
        raise InvalidOrderLines(
            f"An order has at most {MAX_ORDER_LINES} lines.",
            extra={"max_lines": MAX_ORDER_LINES},
        )
    wanted: dict[int, int] = {}
    for line in lines:
        product_id, quantity = line.product_id, line.quantity
        if not _is_int_in(product_id, 1, MAX_PRODUCT_ID):
            raise InvalidOrderLines(
                "Product ids are positive integers.", extra={"product": product_id}
            )
        if not _is_int_in(quantity, 1, MAX_LINE_QUANTITY):
            raise InvalidOrderLines(
                f"Quantities run from 1 to {MAX_LINE_QUANTITY}.",
                extra={"product": product_id, "max_quantity": MAX_LINE_QUANTITY},
            )
        wanted[product_id] = wanted.get(product_id, 0) + quantity
    over = sorted(pid for pid, qty in wanted.items() if qty > MAX_LINE_QUANTITY)
    if over:
        raise InvalidOrderLines(
            f"At most {MAX_LINE_QUANTITY} units of one product per order "
            "(repeated lines are added up).",
            extra={"products": over, "max_quantity": MAX_LINE_QUANTITY},
        )
    return wanted


def _is_int_in(value: object, low: int, high: int) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    )


def order_place(
    *,
    customer: User,
    lines: Iterable[LineRequest],
    shipping_address: str = "",
    note: str = "",
) -> Order:
    """Create a pending order and take its stock, or change nothing.

    The order comes back with its lines in `item_list`, the attribute the
    order selectors fill with `Prefetch(to_attr=...)`, so it renders without
    another query.
    """
    wanted = order_lines_merge(lines)
    with transaction.atomic():
        # Locked in pk order so concurrent checkouts with overlapping baskets
        # queue behind each other instead of deadlocking.
        products = products_lock(ids=wanted)
        unavailable = sorted(
            pid for pid in wanted if pid not in products or not products[pid].is_active
        )
        if unavailable:
            raise ProductUnavailable(
                "These products do not exist or are not for sale: "
                + ", ".join(map(str, unavailable))
                + ".",
                extra={"products": unavailable},
            )
        short = [
            {
                "product": pid,
                "requested": qty,
                "available": products[pid].stock,
            }
            for pid, qty in sorted(wanted.items())
            if products[pid].stock < qty
        ]
        if short:
            raise InsufficientStock(
                "Not enough stock for "
                + ", ".join(str(line["product"]) for line in short)
                + ".",
                extra={"lines": short},
            )

        items = [
            OrderItem(
                product_id=pid,
                product_name=products[pid].name,
                product_sku=products[pid].sku,
                unit_price=products[pid].price,
                quantity=qty,
                line_total=line_total(unit_price=products[pid].price, quantity=qty),
            )
            for pid, qty in wanted.items()
        ]
        totals = order_totals((item.unit_price, item.quantity) for item in items)
        if totals.total > MAX_AMOUNT:
            raise InvalidOrderLines(
                "The order total is too large; split it into several orders."
            )

        order = Order(
            customer=customer,
            status=Order.Status.PENDING,
            total=totals.total,
            units=totals.units,
            item_count=totals.item_count,
            shipping_address=shipping_address,
            note=note,
        )
        instances_insert([order])
        for item in items:
            item.order = order
            item.created_at = order.created_at
        # Everything below the order row goes to the database in one
        # statement (one round trip on PostgreSQL): lines, stock movements,
        # the history row, the outbox event and its deliveries.
        rows = InsertBatch()
        rows.add(items)
        # The rows are locked and checked above; the conditional UPDATE and
        # the stock >= 0 CHECK are the backstops should that stop being true.
        stock_take_many(
            quantities=wanted,
            reason=StockMovement.Reason.ORDER,
            order=order,
            user=customer,
            batch=rows,
        )
        rows.add(
            [
                OrderStatusChange(
                    order=order,
                    from_status="",
                    to_status=Order.Status.PENDING,
                    changed_by=customer,
                )
            ]
        )
        order_placed_record(order=order, items=items, batch=rows)
        rows.run()
        # What the selectors' Prefetch(to_attr="item_list") sets.
        order.item_list = items  # type: ignore[attr-defined]
        transaction.on_commit(ORDERS_PLACED.inc)
    return order

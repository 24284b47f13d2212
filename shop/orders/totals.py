"""Order amounts: the one place that says how lines add up to an order."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class OrderTotals:
    total: Decimal
    units: int
    item_count: int


def line_total(*, unit_price: Decimal, quantity: int) -> Decimal:
    """Return what one line costs: the unit price at purchase times quantity."""
    return unit_price * quantity


def order_totals(lines: Iterable[tuple[Decimal, int]]) -> OrderTotals:
    """Add up (unit_price, quantity) lines into the order's stored figures.

    Checkout, the demo data and the test factories all store `total`,
    `units` and `item_count` from this, so the three never disagree.
    """
    total = Decimal("0.00")
    units = item_count = 0
    for unit_price, quantity in lines:
        total += line_total(unit_price=unit_price, quantity=quantity)
        units += quantity
        item_count += 1
    return OrderTotals(total=total, units=units, item_count=item_count)

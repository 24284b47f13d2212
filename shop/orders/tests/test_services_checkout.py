from decimal import Decimal

import pytest

from shop.catalog.models import Product, StockMovement
from shop.catalog.tests.factories import ProductFactory
from shop.orders.exceptions import (
    InsufficientStock,
    InvalidOrderLines,
    ProductUnavailable,
)
from shop.orders.models import Order, OrderItem, OrderStatusChange
from shop.orders.services import (
    MAX_LINE_QUANTITY,
    MAX_ORDER_LINES,
    LineRequest,
    order_place,
)
from shop.orders.tests.helpers import assert_ledger_consistent, place

pytestmark = pytest.mark.django_db


def test_order_takes_stock_snapshots_and_computes_total(customer):
    a = ProductFactory(price=Decimal("12.50"), stock=10, name="Lamp", sku="LAMP-1")
    b = ProductFactory(price=Decimal("3.00"), stock=5)

    order = place(customer, {a: 2, b: 5}, shipping_address="1 Main St", note="hi")

    assert order.status == Order.Status.PENDING
    assert order.total == Decimal("40.00")
    assert (order.shipping_address, order.note) == ("1 Main St", "hi")
    line = OrderItem.objects.get(order=order, product=a)
    assert (line.product_name, line.product_sku) == ("Lamp", "LAMP-1")
    assert (line.unit_price, line.quantity, line.line_total) == (
        Decimal("12.50"),
        2,
        Decimal("25.00"),
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (8, 0)
    movements = StockMovement.objects.filter(order=order).order_by("product_id")
    assert [(m.product_id, m.delta, m.reason) for m in movements] == [
        (a.pk, -2, StockMovement.Reason.ORDER),
        (b.pk, -5, StockMovement.Reason.ORDER),
    ]
    assert_ledger_consistent(a, b)
    history = OrderStatusChange.objects.get(order=order)
    assert (history.from_status, history.to_status, history.changed_by) == (
        "",
        Order.Status.PENDING,
        customer,
    )


def test_snapshots_survive_later_product_edits(customer):
    product = ProductFactory(price=Decimal("10.00"), name="Old name", sku="OLD-1")
    order = place(customer, {product: 3})

    Product.objects.filter(pk=product.pk).update(
        price=Decimal("99.00"), name="New name", sku="NEW-1"
    )

    line = OrderItem.objects.get(order=order)
    order.refresh_from_db()
    assert (line.product_name, line.product_sku, line.unit_price) == (
        "Old name",
        "OLD-1",
        Decimal("10.00"),
    )
    assert order.total == Decimal("30.00")


def test_duplicate_lines_are_merged(customer):
    product = ProductFactory(stock=10)

    order = order_place(
        customer=customer,
        lines=[LineRequest(product.pk, 2), LineRequest(product.pk, 3)],
    )

    line = OrderItem.objects.get(order=order)
    assert line.quantity == 5
    assert StockMovement.objects.get(order=order).delta == -5
    product.refresh_from_db()
    assert product.stock == 5


def test_merged_duplicates_are_checked_against_the_stock(customer):
    product = ProductFactory(stock=5)

    with pytest.raises(InsufficientStock) as caught:
        order_place(
            customer=customer,
            lines=[LineRequest(product.pk, 3), LineRequest(product.pk, 3)],
        )

    assert caught.value.extra["lines"] == [
        {"product": product.pk, "requested": 6, "available": 5}
    ]
    product.refresh_from_db()
    assert product.stock == 5


def test_merged_duplicates_are_checked_against_the_cap(customer):
    product = ProductFactory(stock=5000)
    half = MAX_LINE_QUANTITY // 2 + 1

    with pytest.raises(InvalidOrderLines):
        order_place(
            customer=customer,
            lines=[LineRequest(product.pk, half), LineRequest(product.pk, half)],
        )


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [LineRequest(1, 0)],
        [LineRequest(1, -1)],
        [LineRequest(1, MAX_LINE_QUANTITY + 1)],
        [LineRequest(1, True)],
        [LineRequest(1, 1.5)],
        [LineRequest(2**64, 1)],
        [LineRequest(n, 1) for n in range(1, MAX_ORDER_LINES + 2)],
    ],
    ids=["empty", "zero", "negative", "over-cap", "bool", "float", "huge-id", "lines"],
)
def test_out_of_range_lines_are_refused(customer, lines):
    with pytest.raises(InvalidOrderLines):
        order_place(customer=customer, lines=lines)
    assert not Order.objects.exists()


def test_unknown_and_inactive_products_reject_the_whole_order(customer):
    good = ProductFactory(stock=10)
    inactive = ProductFactory(stock=10, is_active=False)
    missing = inactive.pk + 1000

    with pytest.raises(ProductUnavailable) as caught:
        place(customer, {good: 1, inactive: 1, missing: 1})

    assert caught.value.extra["products"] == sorted([inactive.pk, missing])
    assert not Order.objects.exists()
    good.refresh_from_db()
    assert good.stock == 10


def test_every_short_line_is_reported_and_nothing_changes(customer):
    plenty = ProductFactory(stock=10)
    few = ProductFactory(stock=2)
    none = ProductFactory(stock=0)

    with pytest.raises(InsufficientStock) as caught:
        place(customer, {plenty: 1, few: 3, none: 1})

    assert caught.value.status_code == 409
    assert caught.value.extra["lines"] == [
        {"product": few.pk, "requested": 3, "available": 2},
        {"product": none.pk, "requested": 1, "available": 0},
    ]
    assert not Order.objects.exists()
    assert not StockMovement.objects.filter(reason=StockMovement.Reason.ORDER).exists()
    assert_ledger_consistent(plenty, few, none)
    plenty.refresh_from_db()
    assert plenty.stock == 10


def test_exact_remaining_stock_can_be_bought(customer):
    product = ProductFactory(stock=3)

    place(customer, {product: 3})

    product.refresh_from_db()
    assert product.stock == 0
    assert_ledger_consistent(product)


def test_total_too_large_for_the_column_is_refused(customer):
    product = ProductFactory(price=Decimal("99999999.99"), stock=1000)

    with pytest.raises(InvalidOrderLines):
        place(customer, {product: 1000})
    assert not Order.objects.exists()

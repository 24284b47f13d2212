"""Helpers shared by the orders tests."""

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from shop.catalog.models import Product, StockMovement
from shop.catalog.tests.factories import ProductFactory
from shop.orders.services import LineRequest, order_place
from shop.orders.tests.factories import OrderFactory
from shop.users.tests.factories import UserFactory


def place(customer, basket: dict, **kwargs):
    """Place an order through the service from {product: quantity}."""
    return order_place(
        customer=customer,
        lines=[
            LineRequest(product_id=getattr(p, "pk", p), quantity=q)
            for p, q in basket.items()
        ],
        **kwargs,
    )


def assert_ledger_consistent(*products):
    """Every product's stock equals the sum of its stock movements."""
    for product in products:
        product = Product.objects.get(pk=getattr(product, "pk", product))
        ledger = (
            StockMovement.objects.filter(product=product).aggregate(s=Sum("delta"))["s"]
            or 0
        )
        assert product.stock == ledger, (product.pk, product.stock, ledger)


def march_orders(products):
    """Three customers' orders in March 2026, in UTC, of three products."""
    a, b, c = products
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()

    def at(day, hour=12):
        return dt.datetime(2026, 3, day, hour, 0, tzinfo=dt.UTC)

    orders = [
        # Mon 2 March: alice 2×a + 1×b = 22.50; bob 1×c = 99.99
        OrderFactory(
            customer=alice, created_at=at(2), lines=[(a, 2), (b, 1)], status="delivered"
        ),
        OrderFactory(
            customer=bob, created_at=at(2, 23), lines=[(c, 1)], status="shipped"
        ),
        # Tue 3 March: carol cancelled 3×c (never counted), alice pending 4×b = 10
        OrderFactory(
            customer=carol, created_at=at(3), lines=[(c, 3)], status="cancelled"
        ),
        OrderFactory(
            customer=alice, created_at=at(3), lines=[(b, 4)], status="pending"
        ),
        # Mon 9 March (next week): bob 1×a + 1×c = 109.99
        OrderFactory(
            customer=bob, created_at=at(9), lines=[(a, 1), (c, 1)], status="delivered"
        ),
    ]
    return {"customers": (alice, bob, carol), "orders": orders}


def spring_orders():
    """One buyer's three orders: 2 March (delivered), 3 March (cancelled),
    1 April (delivered), of products SKU-A (10.00) and SKU-B (2.50)."""
    a = ProductFactory(price=Decimal("10.00"), sku="SKU-A")
    b = ProductFactory(price=Decimal("2.50"), sku="SKU-B")
    buyer = UserFactory(email="buyer@example.com")

    def at(month, day):
        return dt.datetime(2026, month, day, 12, tzinfo=dt.UTC)

    return [
        OrderFactory(
            customer=buyer,
            created_at=at(3, 2),
            lines=[(a, 2), (b, 1)],
            status="delivered",
        ),
        OrderFactory(
            customer=buyer, created_at=at(3, 3), lines=[(b, 4)], status="cancelled"
        ),
        OrderFactory(
            customer=buyer, created_at=at(4, 1), lines=[(a, 1)], status="delivered"
        ),
    ]

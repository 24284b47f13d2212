"""Helpers shared by the orders tests."""

from django.db.models import Sum

from shop.catalog.models import Product, StockMovement
from shop.orders.services import LineRequest, order_place


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

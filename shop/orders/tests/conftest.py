import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.helpers import place


@pytest.fixture
def product(db):
    return ProductFactory(stock=10)


@pytest.fixture
def placed_order(customer, product):
    """A pending order of 2 units of `product` (10 in stock before)."""
    return place(customer, {product: 2})

from decimal import Decimal

import factory

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderItem
from shop.users.tests.factories import UserFactory


class OrderFactory(factory.django.DjangoModelFactory):
    """A bare order row; add lines with OrderItemFactory and call recompute().

    For orders that must take stock, use shop.orders.services instead.
    """

    customer = factory.SubFactory(UserFactory)
    status = Order.Status.PENDING
    total = Decimal("0.00")
    shipping_address = factory.Faker("address")

    class Meta:
        model = Order


class OrderItemFactory(factory.django.DjangoModelFactory):
    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    product_name = factory.SelfAttribute("product.name")
    product_sku = factory.SelfAttribute("product.sku")
    unit_price = factory.SelfAttribute("product.price")
    quantity = 1
    line_total = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)

    class Meta:
        model = OrderItem

from decimal import Decimal

import factory

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderItem
from shop.orders.totals import line_total, order_totals
from shop.users.tests.factories import UserFactory


def order_recompute(order: Order) -> Order:
    """Set the order's total, units and item count from its lines, as checkout does.

    OrderItemFactory calls it after every line, so factory orders keep the
    invariants the reports rely on; the figures come from orders/totals.py
    like checkout's.
    """
    totals = order_totals(
        OrderItem.objects.filter(order=order).values_list("unit_price", "quantity")
    )
    order.total = totals.total
    order.units = totals.units
    order.item_count = totals.item_count
    Order.objects.filter(pk=order.pk).update(
        total=order.total, units=order.units, item_count=order.item_count
    )
    return order


class OrderFactory(factory.django.DjangoModelFactory):
    """An order row, with lines if `lines=[(product, quantity), ...]` is given.

    `created_at` may be given (auto_now_add would otherwise overwrite it);
    lines copy it. Lines never take stock: for orders that must, use
    shop.orders.services (see helpers.place).
    """

    customer = factory.SubFactory(UserFactory)
    status = Order.Status.PENDING
    total = Decimal("0.00")
    shipping_address = factory.Faker("address")

    class Meta:
        model = Order
        skip_postgeneration_save = True

    @factory.post_generation
    def lines(obj, create, extracted, **kwargs):
        for product, quantity in extracted or ():
            OrderItemFactory(order=obj, product=product, quantity=quantity)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        created_at = kwargs.pop("created_at", None)
        order = super()._create(model_class, *args, **kwargs)
        if created_at is not None:
            Order.objects.filter(pk=order.pk).update(created_at=created_at)
            order.created_at = created_at
        return order


class OrderItemFactory(factory.django.DjangoModelFactory):
    """A line of an order; the order's total, units and item count follow."""

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    product_name = factory.SelfAttribute("product.name")
    product_sku = factory.SelfAttribute("product.sku")
    unit_price = factory.SelfAttribute("product.price")
    quantity = 1
    line_total = factory.LazyAttribute(
        lambda o: line_total(unit_price=o.unit_price, quantity=o.quantity)
    )
    created_at = factory.SelfAttribute("order.created_at")

    class Meta:
        model = OrderItem
        skip_postgeneration_save = True

    @factory.post_generation
    def recompute_order(obj, create, extracted, **kwargs):
        if create:
            order_recompute(obj.order)

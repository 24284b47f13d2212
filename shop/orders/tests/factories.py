from decimal import Decimal

import factory
from django.db.models import Count, Sum

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderItem
from shop.users.tests.factories import UserFactory


def order_recompute(order: Order) -> Order:
    """Set the order's total, units and item count from its lines, as checkout does.

    OrderItemFactory calls it after every line, so factory orders keep the
    invariants the reports rely on.
    """
    sums = OrderItem.objects.filter(order=order).aggregate(
        total=Sum("line_total"), units=Sum("quantity"), lines=Count("pk")
    )
    order.total = sums["total"] or Decimal("0.00")
    order.units = sums["units"] or 0
    order.item_count = sums["lines"]
    Order.objects.filter(pk=order.pk).update(
        total=order.total, units=order.units, item_count=order.item_count
    )
    return order


class OrderFactory(factory.django.DjangoModelFactory):
    """A bare order row; add lines with OrderItemFactory.

    `created_at` may be given (auto_now_add would otherwise overwrite it);
    lines copy it. For orders that must take stock, use shop.orders.services.
    """

    customer = factory.SubFactory(UserFactory)
    status = Order.Status.PENDING
    total = Decimal("0.00")
    shipping_address = factory.Faker("address")

    class Meta:
        model = Order

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
    line_total = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)
    created_at = factory.SelfAttribute("order.created_at")

    class Meta:
        model = OrderItem
        skip_postgeneration_save = True

    @factory.post_generation
    def recompute_order(obj, create, extracted, **kwargs):
        if create:
            order_recompute(obj.order)

"""Order.units, Order.item_count and OrderItem.created_at match the lines.

The reports and the admin list read these stored copies instead of the items
table, so every writer must keep them exact: checkout, seed_demo, the data
migration that filled existing rows, and the test factories.
"""

import datetime as dt
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderItem
from shop.orders.services import LineRequest, order_place
from shop.orders.tests.factories import OrderFactory, OrderItemFactory
from shop.orders.tests.helpers import place

pytestmark = pytest.mark.django_db


def mismatched_orders():
    """Orders whose stored facts differ from their lines (ids).

    Compared in Python: SQLite sums decimals as floats.
    """
    lines = {
        row["order"]: row
        for row in OrderItem.objects.order_by()
        .values("order")
        .annotate(n=Count("pk"), u=Sum("quantity"))
    }
    totals = {}
    for order_id, line_total in OrderItem.objects.values_list("order", "line_total"):
        totals[order_id] = totals.get(order_id, Decimal("0.00")) + line_total
    bad = []
    for pk, units, item_count, total in Order.objects.values_list(
        "pk", "units", "item_count", "total"
    ):
        row = lines.get(pk, {"n": 0, "u": 0})
        if (item_count, units, total) != (
            row["n"],
            row["u"],
            totals.get(pk, Decimal("0.00")),
        ):
            bad.append(pk)
    return bad


def misdated_items():
    return list(
        OrderItem.objects.exclude(created_at=F("order__created_at")).values_list(
            "pk", flat=True
        )
    )


def test_checkout_stores_units_item_count_and_line_dates(customer):
    a, b = ProductFactory(stock=20), ProductFactory(stock=20)

    order = place(customer, {a: 3, b: 4})

    order.refresh_from_db()
    assert (order.units, order.item_count) == (7, 2)
    assert mismatched_orders() == [] and misdated_items() == []
    assert {item.created_at for item in order.items.all()} == {order.created_at}


def test_checkout_counts_merged_duplicate_lines_once(customer):
    product = ProductFactory(stock=20)
    order = order_place(
        customer=customer,
        lines=[LineRequest(product.pk, 2), LineRequest(product.pk, 5)],
    )

    order.refresh_from_db()
    assert (order.units, order.item_count) == (7, 1)


def test_seed_demo_stores_units_item_count_and_line_dates():
    call_command(
        "seed_demo",
        seed=3,
        until=dt.date(2026, 3, 31),
        customers=5,
        categories=2,
        products=10,
        orders=120,
        days=10,
        stdout=io.StringIO(),
    )

    assert Order.objects.count() == 120
    assert Order.objects.filter(units__lt=F("item_count")).count() == 0
    assert mismatched_orders() == [] and misdated_items() == []


def test_factories_keep_orders_consistent_with_their_lines():
    at = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    order = OrderFactory(created_at=at)
    OrderItemFactory(order=order, quantity=2)
    OrderItemFactory(order=order, quantity=3)

    order.refresh_from_db()
    assert (order.units, order.item_count, order.created_at) == (5, 2, at)
    assert mismatched_orders() == [] and misdated_items() == []


def test_migration_backfills_existing_orders(customer):
    products = [ProductFactory(stock=20) for _ in range(3)]
    place(customer, {products[0]: 1, products[1]: 2})
    place(customer, {products[2]: 4})
    OrderFactory(customer=customer)  # no lines at all
    Order.objects.update(units=0, item_count=0)
    OrderItem.objects.update(created_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    migration = importlib.import_module(
        "shop.orders.migrations.0002_order_units_item_count_orderitem_created_at"
    )

    migration.backfill(apps, None)

    assert mismatched_orders() == [] and misdated_items() == []
    assert sorted(Order.objects.values_list("units", "item_count")) == [
        (0, 0),
        (3, 2),
        (4, 1),
    ]


@pytest.mark.parametrize("field", ["units", "item_count"])
def test_negative_counts_are_refused_by_the_database(customer, field):
    order = OrderFactory(customer=customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(**{field: -1})

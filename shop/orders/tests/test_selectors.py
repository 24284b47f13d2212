"""The customer's order summary (raw SQL) against hand-computed values."""

import datetime as dt
from decimal import Decimal

import pytest

from shop.catalog.tests.factories import ProductFactory
from shop.orders import selectors
from shop.orders.tests.helpers import march_orders
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def shop_data():
    return march_orders(
        (
            ProductFactory(price=Decimal("10.00")),
            ProductFactory(price=Decimal("2.50")),
            ProductFactory(price=Decimal("99.99")),
        )
    )


def test_customer_summary(shop_data):
    alice, bob, carol = shop_data["customers"]
    summary = selectors.customer_summary(customer_id=alice.pk)
    assert summary.order_count == 2
    assert summary.amount_spent == Decimal("32.50")
    assert summary.counts_by_status == {
        "pending": 1,
        "processing": 0,
        "shipped": 0,
        "delivered": 1,
        "cancelled": 0,
    }
    assert summary.first_order_at == dt.datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert summary.last_order_at == dt.datetime(2026, 3, 3, 12, tzinfo=UTC)

    carols = selectors.customer_summary(customer_id=carol.pk)
    assert carols.order_count == 1
    assert carols.amount_spent == Decimal("0.00")
    assert carols.counts_by_status["cancelled"] == 1


def test_customer_summary_without_orders():
    summary = selectors.customer_summary(customer_id=UserFactory().pk)
    assert summary.order_count == 0
    assert summary.amount_spent == Decimal("0.00")
    assert set(summary.counts_by_status.values()) == {0}
    assert summary.first_order_at is None and summary.last_order_at is None

"""Each report against values computed by hand from factory data."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.factories import OrderFactory
from shop.orders.tests.helpers import march_orders
from shop.reports import queries
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def products():
    return (
        ProductFactory(price=Decimal("10.00")),
        ProductFactory(price=Decimal("2.50")),
        ProductFactory(price=Decimal("99.99")),
    )


@pytest.fixture
def shop_data(products):
    return march_orders(products)


def test_sales_by_day_excludes_cancelled_and_fills_gaps(shop_data):
    rows = queries.sales(
        date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 4), group_by="day"
    )
    assert [
        (r.period, r.orders, r.units, r.revenue, r.average_order_value) for r in rows
    ] == [
        (dt.date(2026, 3, 2), 2, 4, Decimal("122.49"), Decimal("61.25")),
        (dt.date(2026, 3, 3), 1, 4, Decimal("10.00"), Decimal("10.00")),
        (dt.date(2026, 3, 4), 0, 0, Decimal("0.00"), Decimal("0.00")),
    ]


def test_sales_by_week_starts_on_monday(shop_data):
    rows = queries.sales(
        date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 15), group_by="week"
    )
    assert [(r.period, r.orders, r.units, r.revenue) for r in rows] == [
        (dt.date(2026, 2, 23), 0, 0, Decimal("0.00")),  # Sun 1 March's week
        (dt.date(2026, 3, 2), 3, 8, Decimal("132.49")),
        (dt.date(2026, 3, 9), 1, 2, Decimal("109.99")),
    ]


def test_sales_by_month(shop_data):
    rows = queries.sales(
        date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 3, 31), group_by="month"
    )
    assert [
        (r.period, r.orders, r.units, r.revenue, r.average_order_value) for r in rows
    ] == [
        (dt.date(2026, 2, 1), 0, 0, Decimal("0.00"), Decimal("0.00")),
        (dt.date(2026, 3, 1), 4, 10, Decimal("242.48"), Decimal("60.62")),
    ]


def test_sales_empty_range(shop_data):
    rows = queries.sales(
        date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 1, 2), group_by="day"
    )
    assert [(r.orders, r.units, r.revenue) for r in rows] == [
        (0, 0, Decimal("0.00")),
        (0, 0, Decimal("0.00")),
    ]


@override_settings(TIME_ZONE="America/New_York")
def test_sales_uses_local_days(products):
    a = products[0]
    customer = UserFactory()
    # 03:00 UTC on 10 March is 23:00 on 9 March in New York (EDT, -4 since 8 March).
    OrderFactory(
        customer=customer,
        created_at=dt.datetime(2026, 3, 10, 3, tzinfo=UTC),
        lines=[(a, 1)],
        status="delivered",
    )
    # 05:00 UTC on 8 March is 00:00 EST... DST starts 07:00 UTC: still EST -5.
    OrderFactory(
        customer=customer,
        created_at=dt.datetime(2026, 3, 8, 5, tzinfo=UTC),
        lines=[(a, 2)],
        status="delivered",
    )
    # 04:59 UTC on 8 March is 23:59 on 7 March.
    OrderFactory(
        customer=customer,
        created_at=dt.datetime(2026, 3, 8, 4, 59, tzinfo=UTC),
        lines=[(a, 3)],
        status="delivered",
    )
    rows = queries.sales(
        date_from=dt.date(2026, 3, 8), date_to=dt.date(2026, 3, 9), group_by="day"
    )
    assert [(r.period, r.orders, r.units) for r in rows] == [
        (dt.date(2026, 3, 8), 1, 2),
        (dt.date(2026, 3, 9), 1, 1),
    ]

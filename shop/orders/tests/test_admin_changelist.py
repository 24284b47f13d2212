"""The order changelist's cheap count and date hierarchy (admin_changelist)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.orders import admin_changelist
from shop.orders.models import Order
from shop.orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")
UTC = dt.UTC


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def spread_orders(customer):
    """Orders in Nov 2024, Feb 2026 and Mar 2026; nothing in 2025."""
    for at in (
        dt.datetime(2024, 11, 5, 12, tzinfo=UTC),
        dt.datetime(2026, 2, 1, 0, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 31, 23, tzinfo=UTC),
    ):
        OrderFactory(customer=customer, created_at=at)


def test_years_and_months_skip_empty_periods(spread_orders, settings):
    settings.TIME_ZONE = "UTC"
    rows = admin_changelist.with_cheap_date_hierarchy(Order.objects.all())

    years = rows.datetimes("created_at", "year")
    months = rows.filter(created_at__year=2026).datetimes("created_at", "month")

    assert [(d.year, d.month, d.day) for d in years] == [(2024, 1, 1), (2026, 1, 1)]
    assert [(d.year, d.month) for d in months] == [(2026, 2), (2026, 3)]
    assert list(rows.datetimes("created_at", "year")) == list(
        Order.objects.datetimes("created_at", "year")
    )
    assert list(rows.datetimes("created_at", "month")) == list(
        Order.objects.datetimes("created_at", "month")
    )


def test_periods_follow_the_local_time_zone(spread_orders, settings):
    # 00:30 UTC on 1 Feb is still January in New York.
    settings.TIME_ZONE = "America/New_York"
    rows = admin_changelist.with_cheap_date_hierarchy(Order.objects.all())

    months = rows.datetimes("created_at", "month")

    assert [(d.year, d.month) for d in months] == [(2024, 11), (2026, 1), (2026, 3)]
    assert list(months) == list(Order.objects.datetimes("created_at", "month"))


def test_changelist_date_hierarchy_links_years_with_orders(admin_client, spread_orders):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert "created_at__year=2024" in content
    assert "created_at__year=2026" in content
    assert "created_at__year=2025" not in content

    response = admin_client.get(CHANGELIST, {"created_at__year": "2026"})
    content = response.content.decode()
    assert "created_at__month=2" in content and "created_at__month=3" in content
    assert len(response.context["cl"].result_list) == 2


def test_small_or_filtered_lists_are_counted_exactly(admin_client, spread_orders):
    response = admin_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 3

    response = admin_client.get(CHANGELIST, {"created_at__year": "2026"})
    assert response.context["cl"].result_count == 2


@pytest.mark.postgres
def test_big_unfiltered_list_uses_the_planner_estimate(spread_orders, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("pg_class.reltuples is PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    monkeypatch.setattr(admin_changelist, "EXACT_COUNT_BELOW", 0)

    unfiltered = admin_changelist.EstimatedCountPaginator(Order.objects.all(), 50)
    filtered = admin_changelist.EstimatedCountPaginator(
        Order.objects.filter(created_at__year=2026), 50
    )

    with CaptureQueriesContext(connection) as queries:
        assert unfiltered.count == 3  # ANALYZE counted the small table exactly
        assert filtered.count == 2
    sql = [q["sql"] for q in queries.captured_queries]
    assert "reltuples" in sql[0] and "COUNT" not in sql[0].upper()
    assert len(sql) == 2 and "COUNT" in sql[1].upper()

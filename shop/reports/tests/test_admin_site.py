"""The admin index key figures and the Reports page."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory
from shop.orders.tests.factories import OrderFactory
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def some_orders():
    product = ProductFactory(price=Decimal("12.34"), stock=3, sku="SKU-LOW")
    ProductFactory(stock=100)
    ProductFactory(stock=1, is_active=False)  # inactive: not counted as low stock
    customer = UserFactory(email="buyer@example.com")
    now = timezone.now()
    OrderFactory(
        customer=customer, created_at=now, lines=[(product, 2)], status="pending"
    )
    OrderFactory(
        customer=customer, created_at=now, lines=[(product, 1)], status="cancelled"
    )
    OrderFactory(
        customer=customer,
        created_at=now - dt.timedelta(days=3),
        lines=[(product, 5)],
        status="delivered",
    )
    return product


def test_index_shows_key_figures(staff_browser, some_orders):
    response = staff_browser.get(reverse("admin:index"))
    assert response.status_code == 200
    figures = response.context["key_figures"]
    assert figures.today_orders == 1
    assert figures.today_revenue == Decimal("24.68")
    assert figures.pending_orders == 1
    assert figures.low_stock_products == 1
    html = response.content.decode()
    assert 'id="shop-key-figures"' in html
    assert reverse("admin:reports") in html


@override_settings(SHOP_LOW_STOCK_THRESHOLD=200)
def test_low_stock_threshold_comes_from_settings(staff_browser, some_orders):
    figures = staff_browser.get(reverse("admin:index")).context["key_figures"]
    assert figures.low_stock_products == 2
    assert figures.low_stock_threshold == 200


def test_reports_page_renders_chart_and_tables(staff_browser, some_orders):
    today = timezone.localdate()
    response = staff_browser.get(
        reverse("admin:reports"),
        {
            "date_from": (today - dt.timedelta(days=6)).isoformat(),
            "date_to": today.isoformat(),
            "group_by": "day",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg id="sales-chart"' in html
    assert html.count('class="bar"') == 7
    assert "SKU-LOW" in html
    assert "buyer@example.com" in html
    assert response.context["chart"].total_revenue == Decimal("86.38")
    assert 'id="total-revenue">86.38<' in html
    for name in ("sales", "top-products", "customers", "status"):
        assert reverse("admin:reports_csv", args=[name]) in html


def test_reports_page_shows_form_errors(staff_browser):
    response = staff_browser.get(
        reverse("admin:reports"), {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    # Falls back to the default range instead of failing.
    assert len(response.context["sales"]) == 30


@pytest.mark.parametrize("group_by", ["week", "month"])
def test_reports_page_groups(staff_browser, some_orders, group_by):
    response = staff_browser.get(
        reverse("admin:reports"),
        {"date_from": "2026-01-01", "date_to": "2026-03-31", "group_by": group_by},
    )
    assert response.status_code == 200
    assert len(response.context["chart"].bars) == (14 if group_by == "week" else 3)


def test_reports_csv_download(staff_browser, some_orders):
    today = timezone.localdate().isoformat()
    response = staff_browser.get(
        reverse("admin:reports_csv", args=["top-products"]),
        {"date_from": today, "date_to": today},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert [(r["sku"], r["units"], r["revenue"]) for r in rows] == [
        ("SKU-LOW", "2", "24.68")
    ]


def test_unknown_csv_report_is_404(staff_browser):
    response = staff_browser.get(reverse("admin:reports_csv", args=["nope"]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["admin:reports", "admin:index"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "name,args", [("admin:reports", []), ("admin:reports_csv", ["sales"])]
)
def test_customer_is_sent_to_login(client, customer, name, args):
    client.force_login(customer)
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_order_permission_is_refused(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:reports")).status_code == 403
    assert client.get(reverse("admin:reports_csv", args=["sales"])).status_code == 403
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "key_figures" not in index.context


def test_view_site_is_hidden_without_a_frontend_url(staff_browser, settings):
    settings.FRONTEND_URL = ""
    response = staff_browser.get(reverse("admin:index"))
    assert response.context["site_url"] is None
    assert b"View site" not in response.content


def test_view_site_leads_to_the_frontend_url(staff_browser, settings):
    settings.FRONTEND_URL = "https://shop.example.com/"
    response = staff_browser.get(reverse("admin:index"))
    assert b'href="https://shop.example.com/">View site' in response.content

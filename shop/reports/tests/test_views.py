"""The staff report endpoints: permissions, parameters, JSON and CSV."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from shop.catalog.tests.factories import ProductFactory
from shop.core.periods import local_today
from shop.orders.tests.factories import OrderFactory
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
REPORTS = ["sales", "top-products", "customers", "status"]


@pytest.fixture
def march_orders():
    a = ProductFactory(price=Decimal("10.00"), sku="SKU-A")
    b = ProductFactory(price=Decimal("2.50"), sku="SKU-B")
    alice = UserFactory(email="alice@example.com")
    bob = UserFactory(email="bob@example.com")
    OrderFactory(
        customer=alice,
        created_at=dt.datetime(2026, 3, 2, 12, tzinfo=UTC),
        lines=[(a, 2)],
        status="delivered",
    )
    OrderFactory(
        customer=bob,
        created_at=dt.datetime(2026, 3, 3, 12, tzinfo=UTC),
        lines=[(b, 3)],
        status="delivered",
    )
    OrderFactory(
        customer=bob,
        created_at=dt.datetime(2026, 3, 3, 13, tzinfo=UTC),
        lines=[(a, 5)],
        status="cancelled",
    )
    return a, b, alice, bob


def url(name, **params):
    from urllib.parse import urlencode

    return reverse(f"reports:{name}") + ("?" + urlencode(params) if params else "")


@pytest.mark.parametrize("name", REPORTS)
def test_anonymous_gets_401(api_client, name):
    response = api_client.get(url(name))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("name", REPORTS)
def test_customer_gets_403(customer_client, name):
    response = customer_client.get(url(name))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_staff_without_order_permission_gets_403(db):
    from shop.conftest import auth_client

    bare_staff = UserFactory(is_staff=True)
    assert auth_client(bare_staff).get(url("sales")).status_code == 403


def test_sales_json(staff_client, march_orders):
    response = staff_client.get(
        url("sales", date_from="2026-03-02", date_to="2026-03-03", group_by="day")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["date_from"] == "2026-03-02"
    assert body["group_by"] == "day"
    assert body["results"] == [
        {
            "period": "2026-03-02",
            "orders": 1,
            "units": 2,
            "revenue": "20.00",
            "average_order_value": "20.00",
        },
        {
            "period": "2026-03-03",
            "orders": 1,
            "units": 3,
            "revenue": "7.50",
            "average_order_value": "7.50",
        },
    ]


def test_sales_defaults_to_the_last_30_days(staff_client):
    body = staff_client.get(url("sales")).json()
    assert len(body["results"]) == 30
    assert body["date_to"] == local_today().isoformat()


def test_top_products_and_customers(staff_client, march_orders):
    a, b, alice, bob = march_orders
    products = staff_client.get(
        url("top-products", date_from="2026-03-01", date_to="2026-03-31", limit=1)
    ).json()["results"]
    assert products == [
        {
            "product_id": a.pk,
            "sku": "SKU-A",
            "name": a.name,
            "units": 2,
            "revenue": "20.00",
        }
    ]
    customers = staff_client.get(
        url("customers", date_from="2026-03-01", date_to="2026-03-31")
    ).json()["results"]
    assert customers == [
        {
            "customer_id": alice.pk,
            "email": "alice@example.com",
            "orders": 1,
            "revenue": "20.00",
        },
        {
            "customer_id": bob.pk,
            "email": "bob@example.com",
            "orders": 1,
            "revenue": "7.50",
        },
    ]


def test_status_all_time_by_default(staff_client, march_orders):
    rows = staff_client.get(url("status")).json()["results"]
    assert {r["status"]: (r["count"], r["value"]) for r in rows} == {
        "pending": (0, "0.00"),
        "processing": (0, "0.00"),
        "shipped": (0, "0.00"),
        "delivered": (2, "27.50"),
        "cancelled": (1, "50.00"),
    }


@pytest.mark.parametrize(
    "name,params,field",
    [
        ("sales", {"date_from": "2026-13-01"}, "date_from"),
        ("sales", {"date_to": "yesterday"}, "date_to"),
        ("sales", {"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_from"),
        ("sales", {"group_by": "year"}, "group_by"),
        ("sales", {"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_to"),
        ("top-products", {"limit": 0}, "limit"),
        ("top-products", {"limit": 101}, "limit"),
        ("customers", {"limit": "ten"}, "limit"),
        ("status", {"date_from": "2026-02-30"}, "date_from"),
    ],
)
def test_bad_parameters_are_400(staff_client, name, params, field):
    response = staff_client.get(url(name, **params))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["extra"]["fields"]


def test_bad_parameters_with_csv_still_answer_json(staff_client):
    response = staff_client.get(url("sales", group_by="year", format="csv"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def parse_csv(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_sales_csv_by_format_parameter(staff_client, march_orders):
    response = staff_client.get(
        url("sales", date_from="2026-03-02", date_to="2026-03-04", format="csv")
    )
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="sales-2026-03-02-2026-03-04-day.csv"'
    )
    assert parse_csv(response) == [
        {
            "period": "2026-03-02",
            "orders": "1",
            "units": "2",
            "revenue": "20.00",
            "average_order_value": "20.00",
        },
        {
            "period": "2026-03-03",
            "orders": "1",
            "units": "3",
            "revenue": "7.50",
            "average_order_value": "7.50",
        },
        {
            "period": "2026-03-04",
            "orders": "0",
            "units": "0",
            "revenue": "0.00",
            "average_order_value": "0.00",
        },
    ]


def test_csv_by_accept_header(staff_client, march_orders):
    response = staff_client.get(
        url("customers", date_from="2026-03-01", date_to="2026-03-31"),
        HTTP_ACCEPT="text/csv",
    )
    assert response.status_code == 200
    rows = parse_csv(response)
    assert [(r["email"], Decimal(r["revenue"])) for r in rows] == [
        ("alice@example.com", Decimal("20.00")),
        ("bob@example.com", Decimal("7.50")),
    ]


def test_empty_csv_keeps_its_header(staff_client):
    response = staff_client.get(
        url("top-products", date_from="2020-01-01", date_to="2020-01-02", format="csv")
    )
    assert response.status_code == 200
    assert response.content.decode().splitlines() == [
        "product_id,sku,name,units,revenue"
    ]


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_has_csv(staff_client, march_orders, name):
    response = staff_client.get(url(name, format="csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="{name}')
    parse_csv(response)


def test_reports_in_schema(staff_client):
    from django.test import Client

    schema = Client().get("/api/schema/?format=json").json()
    for name in REPORTS:
        operation = schema["paths"][f"/api/v1/reports/{name}/"]["get"]
        content = operation["responses"]["200"]["content"]
        assert {"application/json", "text/csv"} <= set(content)
    params = {
        p["name"]
        for p in schema["paths"]["/api/v1/reports/sales/"]["get"]["parameters"]
    }
    assert {"date_from", "date_to", "group_by", "format"} <= params

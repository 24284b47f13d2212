"""API4:2023 Unrestricted Resource Consumption.

Every input that sizes work on the server is capped: page sizes, body size,
JSON depth, order lines and quantities, and integers that would overflow the
database (answered 400 or 404, never 500).
"""

import json

import pytest
from django.test import Client

from shop.catalog.models import Category, Product
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.users.tests.factories import UserFactory
from tests.security.conftest import API, error_code, require_route

pytestmark = pytest.mark.django_db

HUGE = 2**63
OUT_OF_RANGE = [0, -1, HUGE, 2**64, 10**30, 1.5, "1e400", "NaN", None, "", [], {}]


def test_product_page_size_is_capped_at_100(api_client):
    category = Category.objects.create(name="Bulk", slug="bulk")
    Product.objects.bulk_create(
        Product(
            name=f"Bulk {i}",
            slug=f"bulk-{i}",
            sku=f"BULK-{i}",
            price="1.00",
            stock=0,
            category=category,
        )
        for i in range(105)
    )

    response = api_client.get(require_route(f"{API}/products/"), {"limit": 1000})

    assert response.status_code == 200
    assert response.json()["count"] == 105
    assert len(response.json()["results"]) == 100


def test_user_page_size_is_capped_at_100(staff_client):
    UserFactory.create_batch(101)

    response = staff_client.get(f"{API}/users/", {"limit": 100000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize(
    "query",
    [
        {"limit": HUGE},
        {"offset": HUGE},
        {"offset": 2**31},
        {"limit": -5, "offset": -5},
        {"limit": "many"},
    ],
)
def test_pagination_extremes_never_fail(api_client, query):
    response = api_client.get(require_route(f"{API}/products/"), query)

    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert len(response.json()["results"]) <= 100


def test_oversized_body_is_refused_with_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"email": "x@example.com", "password": "p" * 20_000})

    response = api_client.post(
        f"{API}/auth/register/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert error_code(response) == "payload_too_large"


def test_oversized_order_body_is_refused_with_413(customer_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    path = require_route(f"{API}/orders/")
    body = json.dumps({"items": [{"product": 1, "quantity": 1}] * 2000})

    response = customer_client.post(path, body, content_type="application/json")

    assert response.status_code == 413
    assert not Order.objects.exists()


def test_default_body_cap_is_one_mebibyte(api_client):
    body = json.dumps({"email": "x@example.com", "password": "p" * (1024 * 1024)})

    response = api_client.post(
        f"{API}/auth/register/", body, content_type="application/json"
    )

    assert response.status_code == 413


def test_deeply_nested_json_is_a_400_not_a_crash(api_client):
    body = "[" * 100_000 + "]" * 100_000

    response = Client().post(
        f"{API}/auth/register/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_moderately_nested_json_is_refused(customer_client):
    nested = {"product": 1, "quantity": 1}
    for _ in range(40):
        nested = {"x": nested}
    path = require_route(f"{API}/orders/")

    response = customer_client.post(path, {"items": [nested]}, format="json")

    assert response.status_code == 400


def test_order_line_count_is_capped(customer_client):
    path = require_route(f"{API}/orders/")
    products = ProductFactory.create_batch(101, stock=5)

    response = customer_client.post(
        path,
        {"items": [{"product": p.pk, "quantity": 1} for p in products]},
        format="json",
    )

    assert response.status_code == 400
    assert not Order.objects.exists()
    assert all(
        p.stock == 5 for p in Product.objects.filter(pk__in=[p.pk for p in products])
    )


@pytest.mark.parametrize("quantity", OUT_OF_RANGE + [10**6])
def test_order_quantity_out_of_range_is_a_400(customer_client, product, quantity):
    path = require_route(f"{API}/orders/")

    response = customer_client.post(
        path,
        {"items": [{"product": product.pk, "quantity": quantity}]},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock == 50


@pytest.mark.parametrize("product_id", OUT_OF_RANGE)
def test_order_product_id_out_of_range_is_a_400(customer_client, product_id):
    path = require_route(f"{API}/orders/")

    response = customer_client.post(
        path,
        {"items": [{"product": product_id, "quantity": 1}]},
        format="json",
    )

    assert response.status_code == 400, response.content


@pytest.mark.parametrize("items", [[], None, "many", {}, [[]], [1, 2]])
def test_order_items_of_the_wrong_shape_are_a_400(customer_client, items):
    path = require_route(f"{API}/orders/")

    response = customer_client.post(path, {"items": items}, format="json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/orders/{HUGE}/",
        f"{API}/orders/{HUGE}/cancel/",
        f"{API}/products/{HUGE}/",
        f"{API}/categories/{HUGE}/",
        f"{API}/users/{HUGE}/",
        f"{API}/orders/99999999999999999999999999/",
        f"{API}/products/-1/",
        f"{API}/products/abc/",
    ],
)
def test_huge_or_malformed_path_ids_are_404(staff_client, path):
    # Malformed ids may not match the route at all: still a JSON 404.
    method = staff_client.post if path.endswith("cancel/") else staff_client.get

    response = method(path)

    assert response.status_code == 404, (path, response.status_code)
    assert error_code(response) == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        {"category": HUGE},
        {"category": "x"},
        {"min_price": "1e400"},
        {"max_price": "NaN"},
        {"min_price": "-Infinity"},
        {"min_price": "9" * 40},
        {"search": "x" * 5000},
        {"ordering": "password"},
        {"in_stock": "maybe"},
    ],
)
def test_product_filters_with_extreme_values_never_fail(api_client, query):
    response = api_client.get(require_route(f"{API}/products/"), query)

    assert response.status_code in (200, 400), (query, response.content)


@pytest.mark.parametrize(
    "query",
    [
        {"customer": HUGE},
        {"customer": "x"},
        {"status": "nonsense"},
        {"created_after": "not-a-date"},
        {"created_before": "99999-01-01"},
    ],
)
def test_order_filters_with_extreme_values_never_fail(staff_client, query):
    response = staff_client.get(require_route(f"{API}/orders/"), query)

    assert response.status_code in (200, 400), (query, response.content)


@pytest.mark.parametrize(
    "path,query",
    [
        ("reports/sales/", {"date_from": "0001-01-01", "date_to": "9999-12-31"}),
        ("reports/sales/", {"group_by": "century"}),
        ("reports/sales/", {"date_from": "not-a-date"}),
        ("reports/top-products/", {"limit": HUGE}),
        ("reports/top-products/", {"limit": -1}),
        ("reports/customers/", {"limit": 10**9}),
    ],
)
def test_report_parameters_with_extreme_values_never_fail(staff_client, path, query):
    response = staff_client.get(require_route(f"{API}/{path}"), query)

    assert response.status_code in (200, 400), (path, query, response.content)
    if response.status_code == 200 and "limit" in query:
        body = response.json()
        rows = body.get("results", body) if isinstance(body, dict) else body
        assert len(rows) <= 1000


def test_product_writes_with_extreme_numbers_are_a_400(staff_client):
    path = require_route(f"{API}/products/")
    for price, stock in [("1e400", 1), ("0.001", 1), ("9" * 30, 1), ("1.00", HUGE)]:
        response = staff_client.post(
            path,
            {
                "name": "Extreme",
                "slug": "extreme",
                "sku": "EXT-1",
                "price": price,
                "stock": stock,
            },
            format="json",
        )

        assert response.status_code == 400, (price, stock, response.content)
    assert not Product.objects.filter(sku="EXT-1").exists()

"""Cases schema fuzzing found, kept as fast tests on both databases.

Each answers with a status the schema must declare, so clients generated from
/api/schema/ (and `status_code_conformance`) know about it.
"""

import pytest
import yaml
from django.test import Client

from tests.security.conftest import API, require_route

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    return yaml.safe_load(response.content)


def _declared(schema, method, path):
    return set(schema["paths"][path][method.lower()]["responses"])


@pytest.mark.parametrize("report", ["sales", "top-products", "customers", "status"])
def test_unknown_report_format_is_a_declared_404(staff_client, schema, report):
    path = require_route(f"{API}/reports/{report}/")

    response = staff_client.get(path, {"format": "AAA"})

    assert response.status_code == 404
    assert "404" in _declared(schema, "GET", path)


def test_chunked_body_without_length_is_a_declared_411(customer_client, schema):
    path = f"{API}/users/me/"

    response = customer_client.generic(
        "PATCH", path, "", "application/json", HTTP_TRANSFER_ENCODING="chunked"
    )

    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
    for operations in schema["paths"].values():
        for method in ("post", "put", "patch"):
            if method in operations:
                assert "411" in operations[method]["responses"]


# --- Issue 17: the schema says exactly what the API takes ---------------------


@pytest.fixture
def product():
    from shop.catalog.tests.factories import ProductFactory

    return ProductFactory(stock=10)


def _operation(schema, method, path):
    return schema["paths"][path][method.lower()]


def _component(schema, name):
    return schema["components"]["schemas"][name]


@pytest.mark.parametrize(
    "path", ["/categories/", "/categories/{id}/", "/products/", "/products/{id}/"]
)
def test_public_reads_declare_that_credentials_are_optional(schema, path):
    assert _operation(schema, "GET", API + path)["security"] == [
        {"jwtAuth": []},
        {},
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/orders/"), ("POST", "/products/"), ("GET", "/users/me/")],
)
def test_private_operations_require_the_token(schema, method, path):
    assert {} not in _operation(schema, method, API + path)["security"]


def test_anonymous_product_list_answers(api_client, product):
    response = api_client.get(f"{API}/products/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_an_empty_order_is_400_and_the_schema_says_min_items(customer_client, schema):
    response = customer_client.post(f"{API}/orders/", {"items": []}, format="json")

    assert response.status_code == 400
    assert (
        _component(schema, "OrderPlaceInputRequest")["properties"]["items"]["minItems"]
        == 1
    )


@pytest.mark.parametrize(
    "line",
    [
        {"product": 1, "quantity": "1"},
        {"product": 1, "quantity": 1.0},
        {"product": 1, "quantity": True},
        {"product": "1", "quantity": 1},
    ],
)
def test_order_lines_take_json_integers_only(customer_client, product, line):
    line = {**line, "product": product.pk if line["product"] == 1 else str(product.pk)}

    response = customer_client.post(f"{API}/orders/", {"items": [line]}, format="json")

    assert response.status_code == 400, response.json()


@pytest.mark.parametrize(
    "change",
    [
        {"name": 5},
        {"price": 9.99},
        {"price": "1e2"},
        {"price": "0.00"},
        {"price": " 9.99"},
        {"stock": "5"},
        {"stock": True},
        {"is_active": "true"},
        {"category": "1"},
        {"name": "x" * 200 + " "},
    ],
)
def test_product_fields_take_their_schema_types_only(staff_client, product, change):
    response = staff_client.patch(f"{API}/products/{product.pk}/", change)

    assert response.status_code == 400, response.json()
    assert set(response.json()["extra"]["fields"]) == set(change)


def test_a_price_the_schema_allows_is_taken(staff_client, product, schema):
    import re

    pattern = _component(schema, "PatchedProductInputRequest")["properties"]["price"][
        "pattern"
    ]
    for price in ("0.01", "0.1", "9.99", "10", "99999999.99"):
        assert re.match(pattern, price)
        response = staff_client.patch(f"{API}/products/{product.pk}/", {"price": price})
        assert response.status_code == 200, (price, response.json())
    for price in ("0", "0.00", "-1", "1.234", "1e2", "100000000"):
        assert not re.match(pattern, price)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/categories/", "parent=0"),
        ("/categories/", "parent=1.0"),
        ("/categories/", "parent="),
        ("/orders/", "customer=0"),
        ("/orders/", "customer=+1"),
        ("/products/", "limit=0"),
        ("/products/", "limit=abc"),
        ("/products/", "offset=-1"),
        ("/products/", "offset=null&offset=null"),
        ("/products/", "in_stock=yes"),
        ("/products/", "include_inactive=1"),
        ("/products/", "min_price=1e2"),
        ("/products/", "category=a%20b"),
        ("/orders/", "status="),
        ("/orders/", "created_after=yesterday"),
    ],
)
def test_query_values_the_schema_forbids_are_400(staff_client, path, query):
    response = staff_client.get(f"{API}{path}?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"


def test_id_filters_declare_their_bounds(schema):
    parameters = {
        p["name"]: p["schema"]
        for p in _operation(schema, "GET", f"{API}/categories/")["parameters"]
    }
    assert parameters["parent"]["type"] == "integer"
    assert parameters["parent"]["minimum"] == 1
    assert parameters["limit"]["minimum"] == 1
    assert parameters["offset"]["minimum"] == 0


def test_an_offset_beyond_postgresqls_range_is_no_server_error(staff_client):
    # RFC 3339 allows offsets up to 23:59, PostgreSQL up to 15:59.
    response = staff_client.get(
        f"{API}/orders/", {"created_before": "0738-11-20T14:43:09-18:33"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("date_to", ["20240105", "2024-1-5", "2024-01-05T00:00"])
def test_a_report_date_must_be_yyyy_mm_dd(staff_client, date_to):
    response = staff_client.get(f"{API}/reports/sales/", {"date_to": date_to})

    assert response.status_code == 400
    assert "date_to" in response.json()["extra"]["fields"]


def test_a_report_limit_must_be_digits(staff_client):
    response = staff_client.get(f"{API}/reports/top-products/", {"limit": "5.0"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/register/", {"email": "a@example.com", "password": "12345678901"}),
        ("/auth/register/", {"email": "a@example.com", "password": "short-1"}),
        ("/auth/token/", {"email": "a@example.com", "password": "   "}),
        ("/auth/logout/", {"refresh": 5}),
    ],
)
def test_credentials_the_schema_forbids_are_400(api_client, customer, path, body):
    client = api_client
    if path == "/auth/logout/":
        client.force_authenticate(customer)

    response = client.post(f"{API}{path}", body, format="json")

    assert response.status_code == 400, response.json()


def test_new_password_rules_are_in_the_schema(schema):
    password = _component(schema, "UserRegisterInputRequest")["properties"]["password"]
    assert password["minLength"] == 8
    assert "pattern" in password


def test_form_encoded_bodies_are_refused(customer_client, product):
    response = customer_client.post(
        f"{API}/orders/",
        f"product={product.pk}&quantity=1",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415


def test_requests_declare_only_json(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if content and path.endswith("/image/"):
                assert list(content) == ["multipart/form-data"]
            elif content:
                assert list(content) == ["application/json"], (method, path)


@pytest.mark.parametrize(
    ("operation_id", "links"),
    [
        ("orders_create", {"GetOrder", "CancelOrder", "SetOrderStatus"}),
        ("products_create", {"GetProduct", "PatchProduct", "DeleteProduct"}),
        ("categories_create", {"GetCategory", "DeleteCategory"}),
        ("auth_register_create", {"GetUser"}),
    ],
)
def test_creations_link_to_what_can_be_done_next(schema, operation_id, links):
    operations = {
        op["operationId"]: op for ops in schema["paths"].values() for op in ops.values()
    }
    declared = operations[operation_id]["responses"]["201"]["links"]
    assert links <= set(declared)
    for link in declared.values():
        assert link["operationId"] in operations
        assert link["parameters"] == {"id": "$response.body#/id"}


@pytest.mark.parametrize("key", [" padded", "x" * 256, "ключ"])
def test_idempotency_keys_the_schema_forbids_are_400(customer_client, product, key):
    response = customer_client.post(
        f"{API}/orders/",
        {"items": [{"product": product.pk, "quantity": 1}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


@pytest.mark.parametrize("param", ["date_to", "date_from", "group_by"])
def test_an_empty_report_parameter_is_400(staff_client, param):
    response = staff_client.get(f"{API}/reports/sales/?{param}=")

    assert response.status_code == 400
    assert param in response.json()["extra"]["fields"]


def test_options_on_a_csv_report_is_no_server_error(staff_client):
    response = staff_client.options(f"{API}/reports/sales/?format=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_a_zero_stock_change_is_400_and_the_schema_says_not_zero(
    staff_client, product, schema
):
    response = staff_client.post(f"{API}/products/{product.pk}/stock/", {"delta": 0})

    assert response.status_code == 400
    delta = _component(schema, "StockAdjustInputRequest")["properties"]["delta"]
    assert delta["not"] == {"enum": [0]}

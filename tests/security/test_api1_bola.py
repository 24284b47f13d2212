"""API1:2023 Broken Object Level Authorization.

A customer reaches only their own orders: another customer's order ids answer
exactly like ids that do not exist, for every order endpoint.
"""

import pytest

from shop.catalog.models import Product
from shop.conftest import auth_client
from shop.orders.models import Order
from tests.security.conftest import API, require_route

pytestmark = pytest.mark.django_db


@pytest.fixture
def victims_order(api_client, customer, product, place_order):
    response = place_order(auth_client(customer), product, quantity=2)
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.fixture
def intruder(other_customer):
    return auth_client(other_customer)


def _unknown_id():
    return (
        Order.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ) + 1000


def _comparable(response):
    return response.status_code, response.json()


def test_other_customers_order_reads_as_not_found(intruder, victims_order):
    seen = intruder.get(f"{API}/orders/{victims_order}/")
    missing = intruder.get(f"{API}/orders/{_unknown_id()}/")

    assert seen.status_code == 404
    assert _comparable(seen) == _comparable(missing)


def test_other_customers_order_cannot_be_cancelled(intruder, victims_order, product):
    path = require_route(f"{API}/orders/{victims_order}/cancel/")
    seen = intruder.post(path)
    missing = intruder.post(f"{API}/orders/{_unknown_id()}/cancel/")

    assert seen.status_code == 404
    assert _comparable(seen) == _comparable(missing)
    assert Order.objects.get(pk=victims_order).status == Order.Status.PENDING
    assert Product.objects.get(pk=product.pk).stock == 48


def test_other_customers_order_status_cannot_be_changed(intruder, victims_order):
    path = require_route(f"{API}/orders/{victims_order}/status/")
    seen = intruder.post(path, {"status": "cancelled"}, format="json")
    missing = intruder.post(
        f"{API}/orders/{_unknown_id()}/status/", {"status": "cancelled"}, format="json"
    )

    assert seen.status_code in (403, 404)
    assert _comparable(seen) == _comparable(missing)
    assert Order.objects.get(pk=victims_order).status == Order.Status.PENDING


def test_order_list_shows_only_own_orders(intruder, victims_order):
    response = intruder.get(f"{API}/orders/")

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert victims_order not in [o["id"] for o in response.json()["results"]]


def test_customer_filter_cannot_widen_a_customers_order_list(
    intruder, victims_order, customer
):
    response = intruder.get(f"{API}/orders/", {"customer": customer.pk})

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert victims_order not in [o["id"] for o in response.json()["results"]]


def test_summary_counts_only_own_orders(intruder, victims_order):
    path = require_route(f"{API}/orders/summary/")
    body = intruder.get(path).json()

    assert body["order_count"] == 0
    assert all(count == 0 for count in body["counts_by_status"].values())


def test_idempotency_keys_are_scoped_to_their_user(
    customer, other_customer, product, place_order
):
    headers = {"Idempotency-Key": "shared-key-123"}
    first = place_order(auth_client(customer), product, headers=headers)
    second = place_order(auth_client(other_customer), product, headers=headers)

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert Order.objects.get(pk=second.json()["id"]).customer == other_customer


def test_anonymous_order_reads_are_refused(api_client, victims_order):
    response = api_client.get(f"{API}/orders/{victims_order}/")

    assert response.status_code == 401

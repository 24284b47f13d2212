"""Orders count in /metrics once their transaction commits."""

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def orders_placed() -> float:
    with override_settings(METRICS_TOKEN=TOKEN):
        body = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == "shop_orders_placed_total":
                return sample.value
    return 0.0


def test_an_order_placed_through_the_api_counts_after_commit(
    customer_client, product, django_capture_on_commit_callbacks
):
    before = orders_placed()

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(
            "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": 1}]}
        )
    assert response.status_code == 201
    assert orders_placed() == before + 1


def test_a_rejected_order_does_not_count(
    customer_client, product, django_capture_on_commit_callbacks
):
    before = orders_placed()

    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(
            "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": 11}]}
        )
    assert response.status_code == 409
    assert orders_placed() == before

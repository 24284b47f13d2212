"""Orders count in /metrics once their transaction commits; their mails show
in the outbox backlog until a worker sends them."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from shop.outbox.models import Delivery

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


def outbox_gauges() -> dict[tuple[str, tuple], float]:
    with override_settings(METRICS_TOKEN=TOKEN):
        body = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        if family.name.startswith("shop_outbox_")
        for sample in family.samples
    }


def test_an_order_with_a_pending_mail_shows_in_the_outbox_backlog(
    customer_client, product
):
    mail_backlog = ("shop_outbox_backlog", (("handler", "orders.mail_placed"),))
    oldest = ("shop_outbox_oldest_pending_age_seconds", ())
    before = outbox_gauges()
    assert before.get(mail_backlog, 0) == 0
    assert before[oldest] == 0

    # Not committed in this test's transaction, so no worker is nudged: the
    # confirmation mail stays pending.
    response = customer_client.post(
        "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": 1}]}
    )
    assert response.status_code == 201
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=2))

    after = outbox_gauges()
    assert after[mail_backlog] == 1
    assert 120 <= after[oldest] < 180

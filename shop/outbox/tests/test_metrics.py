"""The outbox in /metrics: backlog gauges read at scrape time, failure counters."""

import pytest
from celery import shared_task
from django.db import transaction
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from shop.outbox.events import event_record
from shop.outbox.handlers import handler_register
from shop.outbox.models import Delivery
from shop.outbox.services import delivery_run

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"
HANDLER = "tests.metrics_refused"


@handler_register(HANDLER, event_types={"test.metrics"})
def _refused(delivery):
    raise ConnectionRefusedError("target down")


@shared_task(name="tests.metrics_task_fails")
def _task_fails():
    raise RuntimeError("task broke")


def scrape() -> dict[tuple[str, tuple], float]:
    with override_settings(METRICS_TOKEN=TOKEN):
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def record() -> Delivery:
    with transaction.atomic():
        event = event_record(
            type="test.metrics", aggregate_type="thing", aggregate_id=1, payload={}
        )
    return Delivery.objects.get(event=event, handler=HANDLER)


def by_handler(name: str) -> tuple[str, tuple]:
    return (name, (("handler", HANDLER),))


def test_a_failing_handler_counts_each_failed_attempt():
    delivery = record()
    before = scrape().get(by_handler("shop_outbox_delivery_failures_total"), 0.0)

    delivery_run(delivery_id=delivery.pk)

    after = scrape()
    assert after[by_handler("shop_outbox_delivery_failures_total")] == before + 1
    assert after[by_handler("shop_outbox_backlog")] == 1  # retried later


def test_failed_deliveries_leave_the_backlog_for_the_failed_gauge(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    delivery = record()
    assert scrape()[by_handler("shop_outbox_backlog")] == 1

    delivery_run(delivery_id=delivery.pk)

    metrics = scrape()
    assert by_handler("shop_outbox_backlog") not in metrics
    assert metrics[by_handler("shop_outbox_failed_deliveries")] == 1
    assert metrics[("shop_outbox_oldest_pending_age_seconds", ())] == 0


def test_a_task_that_raises_counts_as_a_task_failure():
    key = ("shop_task_failures_total", (("task", "tests.metrics_task_fails"),))
    before = scrape().get(key, 0.0)

    _task_fails.apply()  # eager, as a worker runs it: the exception is stored

    assert scrape()[key] == before + 1

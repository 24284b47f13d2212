"""Order changes write their outbox events in the same transaction."""

import pytest
from django.db import transaction

from shop.catalog.tests.factories import ProductFactory
from shop.orders.exceptions import InsufficientStock, InvalidTransition
from shop.orders.models import Order
from shop.orders.services import (
    LineRequest,
    order_cancel,
    order_place,
    order_transition,
)
from shop.outbox.events import SCHEMA_VERSION
from shop.outbox.models import Delivery, OutboxEvent

pytestmark = pytest.mark.django_db


def events_of(order):
    return list(
        OutboxEvent.objects.filter(
            aggregate_type="order", aggregate_id=str(order.pk)
        ).order_by("created_at", "id")
    )


def test_placing_an_order_records_order_placed(customer_client, customer):
    product = ProductFactory(price="4.50", stock=5)

    response = customer_client.post(
        "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": 2}]}
    )

    assert response.status_code == 201
    [event] = events_of(Order.objects.get(pk=response.json()["id"]))
    assert event.type == "order.placed"
    assert event.published_at is None
    assert event.payload["schema_version"] == SCHEMA_VERSION
    assert event.payload["customer_id"] == customer.pk
    assert event.payload["total"] == "9.00"
    assert event.payload["items"] == [
        {
            "product_id": product.pk,
            "sku": product.sku,
            "name": product.name,
            "unit_price": "4.50",
            "quantity": 2,
            "line_total": "9.00",
        }
    ]


def test_status_changes_and_cancellation_record_events_in_order(customer, staff_client):
    product = ProductFactory(stock=5)
    order = order_place(customer=customer, lines=[LineRequest(product.pk, 1)])

    order_transition(order_id=order.pk, to_status=Order.Status.PROCESSING)
    response = staff_client.post(f"/api/v1/orders/{order.pk}/cancel/")

    assert response.status_code == 200
    events = events_of(order)
    assert [e.type for e in events] == [
        "order.placed",
        "order.status_changed",
        "order.status_changed",
        "order.cancelled",
    ]
    assert (events[1].payload["from_status"], events[1].payload["to_status"]) == (
        "pending",
        "processing",
    )
    assert events[3].payload["from_status"] == "processing"
    assert events[3].payload["to_status"] == "cancelled"


def test_refused_order_records_no_event(customer):
    product = ProductFactory(stock=1)

    with pytest.raises(InsufficientStock):
        order_place(customer=customer, lines=[LineRequest(product.pk, 2)])

    assert not OutboxEvent.objects.exists()


def test_rolled_back_placement_leaves_neither_order_nor_event(customer):
    product = ProductFactory(stock=3)

    with pytest.raises(RuntimeError), transaction.atomic():
        order_place(customer=customer, lines=[LineRequest(product.pk, 1)])
        raise RuntimeError("the surrounding transaction fails after the order")

    assert not Order.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_refused_cancellation_records_no_event(customer, other_customer):
    product = ProductFactory(stock=3)
    order = order_place(customer=customer, lines=[LineRequest(product.pk, 1)])
    order_transition(order_id=order.pk, to_status=Order.Status.PROCESSING)
    before = len(events_of(order))

    with pytest.raises(InvalidTransition):  # customers cancel only pending orders
        order_cancel(order_id=order.pk, by_user=customer)

    assert len(events_of(order)) == before


@pytest.fixture
def nudges(monkeypatch):
    """The messages the web side would queue for the workers, by ids carried."""
    sent = []
    monkeypatch.setattr(
        "shop.outbox.tasks.deliveries_run.apply_async",
        lambda args, **kwargs: sent.append(list(args[0])),
    )
    return sent


def test_one_worker_message_per_transaction(
    customer, nudges, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_EVENTS_WEBHOOK_URL = "http://127.0.0.1:9/hook"
    settings.ORDER_EVENTS_WEBHOOK_SECRET = "x"
    product = ProductFactory(stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(customer=customer, lines=[LineRequest(product.pk, 1)])
    # The mail and the publication of order.placed, in one message.
    assert len(nudges) == 1 and len(nudges[0]) == 2
    placed = set(
        Delivery.objects.filter(event__type="order.placed").values_list("pk", flat=True)
    )
    assert set(nudges[0]) == placed

    nudges.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to_status=Order.Status.CANCELLED)
    # order.status_changed (published) and order.cancelled (published and
    # mailed): their three deliveries together.
    assert len(nudges) == 1
    assert set(nudges[0]) == set(
        Delivery.objects.exclude(pk__in=placed).values_list("pk", flat=True)
    )
    assert len(nudges[0]) == 3


def test_sweep_nudges_in_chunks(customer, nudges, monkeypatch):
    monkeypatch.setattr("shop.outbox.services.NUDGE_CHUNK", 2)
    from shop.outbox.services import deliveries_nudge

    assert deliveries_nudge(ids=[1, 2, 3, 4, 5]) == 5
    assert nudges == [[1, 2], [3, 4], [5]]


def test_with_a_broker_the_nudge_leaves_from_a_thread_of_the_process(
    customer, monkeypatch, settings, django_capture_on_commit_callbacks
):
    import threading

    from shop.outbox.tasks import deliveries_run

    monkeypatch.setitem(deliveries_run.app.conf, "task_always_eager", False)
    sent = []
    arrived = threading.Event()

    def apply_async(args, **kwargs):
        sent.append((threading.current_thread().name, list(args[0])))
        arrived.set()

    monkeypatch.setattr(deliveries_run, "apply_async", apply_async)
    product = ProductFactory(stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        order_place(customer=customer, lines=[LineRequest(product.pk, 1)])

    assert arrived.wait(5)
    [delivery] = Delivery.objects.filter(event__type="order.placed")
    assert sent == [("outbox-nudges", [delivery.pk])]

import uuid
from decimal import Decimal

import pytest

from shop.catalog.models import StockMovement
from shop.catalog.tests.factories import ProductFactory
from shop.core.db import InsertBatch, instances_insert
from shop.orders.models import Order, OrderStatusChange
from shop.outbox.models import Delivery, OutboxEvent

pytestmark = pytest.mark.django_db


def test_inserted_rows_read_back_as_the_orm_would_have_written_them(customer):
    products = ProductFactory.create_batch(3)
    order = Order(customer=customer, total=Decimal("1234567.89"), note="é\n'; --")
    instances_insert([order])
    movements = [
        StockMovement(product=p, delta=-n, reason="order", order=order, user=customer)
        for n, p in enumerate(products, start=1)
    ]
    instances_insert(movements)

    assert order.pk and not order._state.adding and order._state.db == "default"
    assert order.created_at and order.updated_at  # auto_now(_add) stamped
    stored = Order.objects.get(pk=order.pk)
    assert (stored.total, stored.note, stored.status) == (
        Decimal("1234567.89"),
        "é\n'; --",
        "pending",
    )
    assert stored.created_at == order.created_at
    assert [m.pk for m in movements] == list(
        StockMovement.objects.filter(order=order)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert list(
        StockMovement.objects.filter(order=order)
        .order_by("pk")
        .values_list("product_id", "delta")
    ) == [(p.pk, -n) for n, p in enumerate(products, start=1)]


def test_client_generated_keys_and_json_round_trip(customer):
    order = Order(customer=customer, total=Decimal("1.00"))
    instances_insert([order])
    instances_insert([OrderStatusChange(order=order, to_status="pending")])
    event = OutboxEvent(
        type="t",
        aggregate_type="order",
        aggregate_id="1",
        payload={"total": Decimal("1.50"), "id": uuid.UUID(int=7), "n": [1, None]},
    )

    instances_insert([event])

    stored = OutboxEvent.objects.get(pk=event.pk)
    assert stored.payload == {
        "total": "1.50",
        "id": "00000000-0000-0000-0000-000000000007",
        "n": [1, None],
    }
    assert OrderStatusChange.objects.get(order=order).changed_by is None


def test_nothing_to_insert_is_a_no_op(django_assert_num_queries):
    with django_assert_num_queries(0):
        instances_insert([])


def test_insert_batch_writes_every_group_and_sets_their_pks(
    customer, django_assert_num_queries, is_postgres
):
    products = ProductFactory.create_batch(2)
    order = Order(customer=customer, total=Decimal("2.00"))
    instances_insert([order])
    event = OutboxEvent(
        type="t", aggregate_type="order", aggregate_id=str(order.pk), payload={}
    )
    movements = [
        StockMovement(product=p, delta=-1, reason="order", order=order, user=customer)
        for p in products
    ]
    batch = InsertBatch()
    batch.add(movements)
    batch.add([])  # nothing to write: no group
    batch.add([event])  # client-made pk: nothing to read back
    batch.add([OrderStatusChange(order=order, to_status="pending")])
    batch.add([Delivery(event=event, handler="h", next_attempt_at=order.created_at)])

    # One statement on PostgreSQL (a child may refer to its parent's UUID);
    # one per group elsewhere.
    with django_assert_num_queries(1 if is_postgres else 4):
        batch.run()

    assert [m.pk for m in movements] == list(
        StockMovement.objects.filter(order=order)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert all(not m._state.adding for m in movements)
    assert OrderStatusChange.objects.get(order=order).to_status == "pending"
    assert Delivery.objects.get(event=event).handler == "h"
    assert batch.groups == []

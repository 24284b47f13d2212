import itertools

import pytest

from shop.catalog.models import StockMovement
from shop.orders.exceptions import InvalidTransition, OrderNotFound
from shop.orders.models import Order, OrderStatusChange
from shop.orders.services import (
    TRANSITIONS,
    order_cancel,
    order_transition,
    order_transition_allowed,
)
from shop.orders.tests.helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

Status = Order.Status
ALLOWED = {
    (Status.PENDING, Status.PROCESSING),
    (Status.PROCESSING, Status.SHIPPED),
    (Status.SHIPPED, Status.DELIVERED),
    (Status.PENDING, Status.CANCELLED),
    (Status.PROCESSING, Status.CANCELLED),
}
ALL_MOVES = list(itertools.product(Status.values, Status.values))


def put_in(order, status):
    # Walk the real workflow so stock and history stay true to life.
    path = {
        Status.PENDING: [],
        Status.PROCESSING: [Status.PROCESSING],
        Status.SHIPPED: [Status.PROCESSING, Status.SHIPPED],
        Status.DELIVERED: [Status.PROCESSING, Status.SHIPPED, Status.DELIVERED],
        Status.CANCELLED: [Status.CANCELLED],
    }[status]
    for step in path:
        order_transition(order_id=order.pk, to_status=step)
    order.refresh_from_db()
    return order


def test_the_transition_table_is_exactly_the_spec():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("from_status", "to_status"), ALL_MOVES)
def test_every_move_is_allowed_or_refused(placed_order, staff, from_status, to_status):
    order = put_in(placed_order, from_status)
    history_before = OrderStatusChange.objects.filter(order=order).count()

    if (from_status, to_status) in ALLOWED:
        moved = order_transition(order_id=order.pk, to_status=to_status, by_user=staff)
        assert moved.status == to_status
        last = OrderStatusChange.objects.filter(order=order).last()
        assert (last.from_status, last.to_status, last.changed_by) == (
            from_status,
            to_status,
            staff,
        )
    else:
        assert not order_transition_allowed(
            from_status=from_status, to_status=to_status
        )
        with pytest.raises(InvalidTransition) as caught:
            order_transition(order_id=order.pk, to_status=to_status, by_user=staff)
        assert caught.value.status_code == 409
        order.refresh_from_db()
        assert order.status == from_status
        assert OrderStatusChange.objects.filter(order=order).count() == history_before


@pytest.mark.parametrize("from_status", [Status.PENDING, Status.PROCESSING])
def test_cancelling_restores_stock_once(placed_order, product, staff, from_status):
    order = put_in(placed_order, from_status)

    order_transition(order_id=order.pk, to_status=Status.CANCELLED, by_user=staff)
    with pytest.raises(InvalidTransition):
        order_transition(order_id=order.pk, to_status=Status.CANCELLED, by_user=staff)

    product.refresh_from_db()
    assert product.stock == 10
    restock = StockMovement.objects.filter(
        order=order, reason=StockMovement.Reason.CANCELLATION
    )
    assert [(m.product_id, m.delta, m.user) for m in restock] == [
        (product.pk, 2, staff)
    ]
    assert_ledger_consistent(product)


def test_missing_order_is_not_found():
    with pytest.raises(OrderNotFound):
        order_transition(order_id=999_999, to_status=Status.PROCESSING)


def test_customer_cancels_own_pending_order(placed_order, customer, product):
    order = order_cancel(order_id=placed_order.pk, by_user=customer)

    assert order.status == Status.CANCELLED
    product.refresh_from_db()
    assert product.stock == 10
    assert OrderStatusChange.objects.filter(order=order).last().changed_by == customer


def test_customer_cannot_cancel_once_processing(placed_order, customer, product):
    put_in(placed_order, Status.PROCESSING)

    with pytest.raises(InvalidTransition):
        order_cancel(order_id=placed_order.pk, by_user=customer)

    placed_order.refresh_from_db()
    assert placed_order.status == Status.PROCESSING
    product.refresh_from_db()
    assert product.stock == 8


def test_customer_cannot_cancel_someone_elses_order(placed_order, other_customer):
    with pytest.raises(OrderNotFound):
        order_cancel(order_id=placed_order.pk, by_user=other_customer)
    placed_order.refresh_from_db()
    assert placed_order.status == Status.PENDING


@pytest.mark.parametrize("from_status", [Status.PENDING, Status.PROCESSING])
def test_staff_cancel_pending_or_processing(placed_order, staff, from_status):
    put_in(placed_order, from_status)

    order = order_cancel(order_id=placed_order.pk, by_user=staff)

    assert order.status == Status.CANCELLED


@pytest.mark.parametrize(
    "from_status", [Status.SHIPPED, Status.DELIVERED, Status.CANCELLED]
)
def test_staff_cannot_cancel_after_shipping(placed_order, staff, from_status):
    put_in(placed_order, from_status)

    with pytest.raises(InvalidTransition):
        order_cancel(order_id=placed_order.pk, by_user=staff)

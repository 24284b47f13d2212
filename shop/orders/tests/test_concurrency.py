"""Real threads against PostgreSQL: the guarantees that only matter under load."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from shop.catalog.models import Product, StockMovement
from shop.catalog.tests.factories import ProductFactory
from shop.conftest import auth_client
from shop.orders.exceptions import InsufficientStock, InvalidTransition
from shop.orders.models import Order
from shop.orders.services import order_cancel, order_transition
from shop.orders.tests.helpers import assert_ledger_consistent, place
from shop.users.tests.factories import StaffFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]

URL = "/api/v1/orders/"


def run_together(calls):
    """Start every call at the same moment in its own thread; return outcomes.

    Each outcome is the call's return value or the exception it raised.
    """
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_racing_buyers_never_oversell():
    units, buyers = 5, 16
    product = ProductFactory(stock=units)
    customers = [UserFactory() for _ in range(buyers)]

    outcomes = run_together([lambda c=c: place(c, {product: 1}) for c in customers])

    placed = [o for o in outcomes if isinstance(o, Order)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert len(placed) == units
    assert len(refused) == buyers - units, outcomes
    product.refresh_from_db()
    assert product.stock == 0
    assert Order.objects.count() == units
    assert_ledger_consistent(product)


def test_racing_buyers_through_the_api():
    units, buyers = 4, 12
    product = ProductFactory(stock=units)
    clients = [auth_client(UserFactory()) for _ in range(buyers)]
    body = {"items": [{"product": product.pk, "quantity": 1}]}

    responses = run_together(
        [lambda c=c: c.post(URL, body, format="json") for c in clients]
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: units, 409: buyers - units}, statuses
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "insufficient_stock"
            assert response.json()["extra"]["lines"][0]["available"] < 1
    product.refresh_from_db()
    assert product.stock == 0
    assert_ledger_consistent(product)


def test_multi_unit_buyers_take_exactly_the_stock():
    product = ProductFactory(stock=10)
    customers = [UserFactory() for _ in range(8)]

    outcomes = run_together([lambda c=c: place(c, {product: 3}) for c in customers])

    assert sum(isinstance(o, Order) for o in outcomes) == 3
    product.refresh_from_db()
    assert product.stock == 1
    assert_ledger_consistent(product)


def test_opposite_baskets_do_not_deadlock():
    a, b = ProductFactory(stock=1000), ProductFactory(stock=1000)
    customers = [UserFactory() for _ in range(12)]
    baskets = [{a: 1, b: 1}, {b: 1, a: 1}]

    outcomes = run_together(
        [
            lambda c=c, basket=baskets[i % 2]: [place(c, basket) for _ in range(5)]
            for i, c in enumerate(customers)
        ]
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert Order.objects.count() == 60
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (940, 940)
    assert_ledger_consistent(a, b)


def test_parallel_cancels_restore_stock_once():
    product = ProductFactory(stock=10)
    customer, staff = UserFactory(), StaffFactory()
    order = place(customer, {product: 4})
    cancellers = [customer, staff] * 5

    outcomes = run_together(
        [lambda u=u: order_cancel(order_id=order.pk, by_user=u) for u in cancellers]
    )

    assert sum(isinstance(o, Order) for o in outcomes) == 1
    assert all(isinstance(o, Order | InvalidTransition) for o in outcomes), outcomes
    product.refresh_from_db()
    assert product.stock == 10
    assert StockMovement.objects.filter(order=order, reason="cancellation").count() == 1
    assert_ledger_consistent(product)


def test_parallel_cancels_through_the_api():
    product = ProductFactory(stock=10)
    customer = UserFactory()
    order = place(customer, {product: 4})
    clients = [auth_client(customer) for _ in range(8)]

    responses = run_together(
        [lambda c=c: c.post(f"{URL}{order.pk}/cancel/") for c in clients]
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 409: 7}
    product.refresh_from_db()
    assert product.stock == 10
    assert_ledger_consistent(product)


def test_cancel_racing_a_status_change():
    # Whichever wins, stock matches the final status and is restored at most once.
    for _ in range(5):
        product = ProductFactory(stock=10)
        customer, staff = UserFactory(), StaffFactory()
        order = place(customer, {product: 3})

        run_together(
            [
                lambda: order_cancel(order_id=order.pk, by_user=customer),
                lambda: order_transition(
                    order_id=order.pk, to_status="processing", by_user=staff
                ),
                lambda: order_cancel(order_id=order.pk, by_user=customer),
            ]
        )

        order.refresh_from_db()
        product.refresh_from_db()
        expected = 10 if order.status == "cancelled" else 7
        assert product.stock == expected, order.status
        assert_ledger_consistent(product)


def test_parallel_requests_with_one_idempotency_key_place_one_order():
    product = ProductFactory(stock=100)
    customer = UserFactory()
    clients = [auth_client(customer) for _ in range(10)]
    body = {"items": [{"product": product.pk, "quantity": 2}]}

    responses = run_together(
        [
            lambda c=c: c.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
            for c in clients
        ]
    )

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    assert Order.objects.count() == 1
    order_id = Order.objects.get().pk
    for response in responses:
        if response.status_code == 201:
            assert response.json()["id"] == order_id
        else:
            assert response.json()["code"] == "idempotency_key_in_progress"
    assert Product.objects.get(pk=product.pk).stock == 98

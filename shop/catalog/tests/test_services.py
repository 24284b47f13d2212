import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from shop.catalog.models import Product, StockMovement
from shop.catalog.services import (
    MAX_STOCK,
    InsufficientStock,
    StockChanged,
    StockOutOfRange,
    product_create,
    product_update,
    products_lock,
    products_set_active,
    stock_adjust,
    stock_return_many,
    stock_set,
    stock_take_many,
)
from shop.catalog.tests.factories import ProductFactory


def ledger(product_id: int) -> int:
    total = StockMovement.objects.filter(product_id=product_id).aggregate(
        total=Sum("delta")
    )["total"]
    return total or 0


@pytest.mark.django_db
def test_stock_adjust_writes_a_movement_and_bumps_updated_at(staff):
    product = ProductFactory(stock=5)
    before = product.updated_at
    result = stock_adjust(product_id=product.pk, delta=-2, user=staff, note="broken")
    product.refresh_from_db()
    assert result.stock == product.stock == 3 == ledger(product.pk)
    assert product.updated_at > before
    movement = product.movements.first()
    assert (movement.delta, movement.user, movement.note) == (-2, staff, "broken")


@pytest.mark.django_db
def test_products_lock_returns_existing_products_by_pk():
    a, b = ProductFactory(), ProductFactory()

    locked = products_lock(ids=[b.pk, a.pk, 0])

    assert list(locked) == [a.pk, b.pk]
    assert locked[a.pk].sku == a.sku and locked[b.pk].price == b.price


@pytest.mark.django_db
def test_stock_take_and_return_many_move_stock_and_bump_updated_at(staff):
    a, b = ProductFactory(stock=5), ProductFactory(stock=3)
    before = a.updated_at

    stock_take_many(quantities={a.pk: 2, b.pk: 3}, user=staff)
    stock_return_many(quantities={a.pk: 1}, user=staff)

    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.stock, b.stock) == (4, 0)
    assert (ledger(a.pk), ledger(b.pk)) == (4, 0)
    assert a.updated_at > before
    assert sorted(
        StockMovement.objects.filter(user=staff).values_list("delta", "reason")
    ) == [(-3, "order"), (-2, "order"), (1, "cancellation")]


@pytest.mark.django_db(transaction=True)
def test_stock_take_many_short_line_takes_nothing():
    a, b = ProductFactory(stock=5), ProductFactory(stock=1)

    with pytest.raises(InsufficientStock) as caught:
        stock_take_many(quantities={a.pk: 2, b.pk: 3})

    assert caught.value.extra["lines"] == [
        {"product": b.pk, "requested": 3, "available": 1}
    ]
    assert [p.stock for p in Product.objects.order_by("pk")] == [5, 1]
    assert (ledger(a.pk), ledger(b.pk)) == (5, 1)


@pytest.mark.django_db(transaction=True)
def test_stock_return_many_past_the_maximum_returns_nothing():
    a, b = ProductFactory(stock=1), ProductFactory(stock=MAX_STOCK - 1)

    with pytest.raises(StockOutOfRange):
        stock_return_many(quantities={a.pk: 1, b.pk: 2})

    assert [p.stock for p in Product.objects.order_by("pk")] == [1, MAX_STOCK - 1]


@pytest.mark.django_db
def test_stock_adjust_below_zero_changes_nothing():
    product = ProductFactory(stock=2)
    with pytest.raises(InsufficientStock):
        stock_adjust(product_id=product.pk, delta=-3)
    product.refresh_from_db()
    assert product.stock == 2 == ledger(product.pk)


@pytest.mark.django_db
def test_stock_set_records_the_difference_and_checks_expected():
    product = ProductFactory(stock=8)
    stock_set(product_id=product.pk, stock=3)
    assert ledger(product.pk) == 3
    with pytest.raises(StockChanged):
        stock_set(product_id=product.pk, stock=10, expected=8)
    assert stock_set(product_id=product.pk, stock=3).stock == 3
    assert product.movements.count() == 2


@pytest.mark.django_db
def test_product_create_records_initial_stock():
    product = product_create(name="Mug", sku="m-1", price=Decimal("2.00"), stock=4)
    assert product.slug == "mug"
    assert product.stock == 4 == ledger(product.pk)
    assert product.movements.get().reason == StockMovement.Reason.INITIAL
    empty = product_create(name="Mug", sku="m-2", price=Decimal("2.00"))
    assert empty.slug == "mug-m-2"
    assert not empty.movements.exists()


@pytest.mark.django_db
def test_product_update_never_writes_a_stale_stock():
    product = ProductFactory(stock=10)
    stock_adjust(product_id=product.pk, delta=-4)
    # `product` still says 10 in memory; the update must not write it back.
    product_update(product_id=product.pk, changes={"name": "New"})
    product.refresh_from_db()
    assert (product.name, product.stock) == ("New", 6)


@pytest.mark.django_db
def test_products_set_active_counts_changes():
    products = ProductFactory.create_batch(3)
    products[0].is_active = False
    products[0].save()
    pks = [p.pk for p in products]
    assert products_set_active(product_ids=pks, is_active=False) == 2
    assert not Product.objects.filter(is_active=True).exists()


def _run_threads(target, count):
    errors = []

    def wrapper(n):
        try:
            target(n)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapper, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_adjustments_lose_no_update():
    product = ProductFactory(stock=100)
    deltas = [5, -3, 7, -2, 4, -6, 1, -1] * 3

    def adjust(n):
        stock_adjust(product_id=product.pk, delta=deltas[n])

    errors = _run_threads(adjust, len(deltas))
    assert errors == []
    product.refresh_from_db()
    assert product.stock == 100 + sum(deltas) == ledger(product.pk)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_sales_never_oversell_and_ledger_adds_up():
    product = ProductFactory(stock=10)

    def buy(n):
        stock_adjust(product_id=product.pk, delta=-1, reason=StockMovement.Reason.ORDER)

    errors = _run_threads(buy, 16)
    assert len(errors) == 6
    assert all(isinstance(e, InsufficientStock) for e in errors)
    product.refresh_from_db()
    assert product.stock == 0 == ledger(product.pk)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_api_patches_and_sales_keep_the_ledger(staff):
    from shop.conftest import auth_client

    product = ProductFactory(stock=50)

    def work(n):
        if n % 2:
            stock_adjust(
                product_id=product.pk, delta=-1, reason=StockMovement.Reason.ORDER
            )
        else:
            client = auth_client(staff)
            response = client.post(
                f"/api/v1/products/{product.pk}/stock/", {"delta": 2}, format="json"
            )
            assert response.status_code == 200, response.content

    errors = _run_threads(work, 12)
    assert errors == []
    product.refresh_from_db()
    assert product.stock == 50 + 6 * 2 - 6 == ledger(product.pk)

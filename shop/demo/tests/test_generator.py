"""The demo generator alone: plain Python, no database."""

import dataclasses
import datetime as dt
from decimal import Decimal

from shop.demo.generator import DemoGenerator
from shop.orders.totals import order_totals

UNTIL = dt.date(2026, 3, 31)


def generate(seed=7, orders=200):
    demo = DemoGenerator(seed=seed, until=UNTIL, days=20)
    customers = demo.customers(6)
    categories = demo.categories(3)
    products = demo.products(12, categories=len(categories))
    placed = list(demo.orders(orders, customers=len(customers), products=products))
    stock = demo.stock(products)
    return customers, categories, products, placed, stock


def as_plain(data):
    customers, categories, products, placed, stock = data
    return (
        [dataclasses.astuple(c) for c in customers],
        [dataclasses.astuple(c) for c in categories],
        [dataclasses.astuple(p) for p in products],
        [(o.customer, o.placed, o.status, o.steps, o.lines) for o in placed],
        stock,
    )


def test_same_seed_same_rows():
    assert as_plain(generate()) == as_plain(generate())


def test_other_seed_other_rows():
    assert as_plain(generate(seed=8))[3] != as_plain(generate())[3]


def test_orders_fall_in_the_range_oldest_first_and_never_in_the_future():
    demo = DemoGenerator(seed=1, until=UNTIL, days=20)
    products = demo.products(5, categories=0)
    placed = list(demo.orders(300, customers=4, products=products))
    assert len(placed) == 300
    first = dt.datetime(2026, 3, 12, tzinfo=dt.UTC).timestamp()
    assert all(first <= o.placed < demo.closing for o in placed)
    assert [o.placed for o in placed] == sorted(o.placed for o in placed)
    for order in placed:
        times = [order.placed] + [at for _, at in order.steps]
        assert times == sorted(times) and times[-1] < demo.closing
        assert order.status == (order.steps[-1][0] if order.steps else "pending")


def test_totals_come_from_the_order_totals_function():
    _, _, products, placed, _ = generate()
    for order in placed:
        lines = [(products[i].price, q) for i, q in order.lines]
        assert order.totals == order_totals(lines)
        assert len({i for i, _ in order.lines}) == len(order.lines)  # distinct
    assert all(p.price % 1 == Decimal("0.99") for p in products)


def test_initial_stock_covers_every_sale():
    _, _, products, placed, stock = generate()
    sold = [0] * len(products)
    for order in placed:
        if order.status != "cancelled":
            for i, q in order.lines:
                sold[i] += q
    assert [p.sold for p in products] == sold
    assert stock == [s + p.stock for s, p in zip(sold, products, strict=True)]
    assert all(p.stock >= 0 for p in products)


def test_customers_and_products_number_after_an_offset():
    demo = DemoGenerator(seed=3, until=UNTIL, days=5)
    assert demo.customers(1, offset=41)[0].username == "demo-customer-42"
    assert demo.products(1, categories=2, offset=9)[0].sku == "DEMO-0000010"

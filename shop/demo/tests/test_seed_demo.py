"""seed_demo: sizes, determinism, a consistent ledger, refusal rules."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum

from shop.catalog.models import Category, Product, StockMovement
from shop.demo.management.commands import seed_demo
from shop.orders.models import Order, OrderItem, OrderStatusChange
from shop.users.models import User

pytestmark = pytest.mark.django_db

SMALL = {
    "seed": 7,
    "until": dt.date(2026, 3, 31),
    "customers": 6,
    "categories": 3,
    "products": 12,
    "orders": 80,
    "days": 20,
}


def seed(*args, **options):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, **{**SMALL, **options})
    return out.getvalue()


def digest():
    """Everything the seed produced, keyed by natural keys, not ids."""
    items = {}
    for item in OrderItem.objects.select_related("order"):
        items.setdefault(item.order_id, []).append(
            (item.product_sku, item.quantity, item.unit_price, item.line_total)
        )
    orders = sorted(
        (
            o.customer.email,
            o.status,
            o.total,
            o.created_at,
            o.updated_at,
            o.shipping_address,
            tuple(sorted(items.get(o.pk, []))),
            tuple(o.history.values_list("from_status", "to_status", "created_at")),
        )
        for o in Order.objects.select_related("customer")
    )
    products = sorted(
        Product.objects.values_list("sku", "name", "price", "stock", "is_active")
    )
    users = sorted(User.objects.values_list("email", "first_name", "date_joined"))
    categories = sorted(Category.objects.values_list("name", "slug"))
    return orders, products, users, categories


def wipe():
    StockMovement.objects.all().delete()
    OrderStatusChange.objects.all().delete()
    OrderItem.objects.all().delete()
    Order.objects.all().delete()
    Product.objects.all().delete()
    Category.objects.all().delete()
    User.objects.all().delete()


def assert_ledger_consistent():
    drift = [
        (p.sku, p.stock, p.ledger)
        for p in Product.objects.annotate(ledger=Sum("movements__delta"))
        if p.stock != (p.ledger or 0)
    ]
    assert drift == []


def test_loads_the_requested_sizes_and_logins():
    output = seed()
    assert Order.objects.count() == 80
    assert Product.objects.count() == 12
    assert Category.objects.count() == 3
    # The demo customer comes on top of --customers; the staff login too.
    assert User.objects.filter(is_staff=False).count() == 7
    staff = User.objects.get(email=seed_demo.DEMO_STAFF_EMAIL)
    assert staff.is_staff and staff.groups.filter(name="Shop staff").exists()
    assert staff.check_password(seed_demo.DEMO_PASSWORD)
    demo = User.objects.filter(email__endswith="@customers.example.com").first()
    assert demo.check_password(seed_demo.DEMO_PASSWORD)
    assert "staff@example.com / shop-demo-password" in output
    assert "orders 80/80 (100%)" in output


def test_same_seed_same_data():
    seed()
    first = digest()
    wipe()
    seed()
    assert digest() == first


def test_other_seed_other_data():
    seed()
    first = digest()
    wipe()
    seed(seed=8)
    assert digest()[0] != first[0]


def test_ledger_is_consistent():
    seed(orders=200)
    assert_ledger_consistent()
    reasons = set(StockMovement.objects.values_list("reason", flat=True))
    assert {"initial", "order", "cancellation"} <= reasons
    # Every item is an ORDER movement of its order; cancellations give it back.
    assert (
        StockMovement.objects.filter(reason="order").count()
        == OrderItem.objects.count()
    )
    cancelled_lines = OrderItem.objects.filter(order__status="cancelled").count()
    assert (
        StockMovement.objects.filter(reason="cancellation").count() == cancelled_lines
    )


def test_orders_are_consistent_and_dated_in_range():
    seed(orders=150)
    tz_first = dt.date(2026, 3, 12)
    for order in Order.objects.annotate(lines=Sum("items__line_total")):
        assert order.total == order.lines
        local_day = order.created_at.astimezone(dt.UTC).date()
        assert tz_first - dt.timedelta(days=1) <= local_day <= dt.date(2026, 4, 1)
        history = list(order.history.values_list("to_status", flat=True))
        assert history[0] == "pending" and history[-1] == order.status
    statuses = dict(Order.objects.values_list("status").annotate(n=Count("id")))
    assert statuses["delivered"] > statuses.get("cancelled", 0) > 0


def test_refuses_a_non_empty_database():
    seed()
    with pytest.raises(CommandError, match="not empty"):
        seed()


def test_if_empty_does_nothing_on_data_and_prints_logins():
    seed()
    before = Order.objects.count()
    output = seed("--if-empty", orders=5)
    assert Order.objects.count() == before
    assert "nothing loaded" in output
    assert "customer@example.com / shop-demo-password" in output


def test_if_empty_loads_an_empty_database():
    seed("--if-empty")
    assert Order.objects.count() == 80


def test_append_adds_to_existing_data():
    seed()
    seed("--append", customers=2, products=3, orders=10)
    assert Order.objects.count() == 90
    assert Product.objects.count() == 15
    assert len(set(Product.objects.values_list("sku", flat=True))) == 15
    assert_ledger_consistent()


def test_bad_options():
    with pytest.raises(CommandError):
        seed("--append", "--flush")
    with pytest.raises(CommandError):
        seed(products=0)
    with pytest.raises(CommandError):
        seed(orders=-1)


@pytest.mark.django_db(transaction=True)
def test_flush_replaces_the_data():
    seed()
    seed("--flush", orders=5)
    assert Order.objects.count() == 5
    assert_ledger_consistent()


@pytest.mark.postgres
def test_bulk_path_rebuilds_the_indexes(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("COPY and index rebuilds are PostgreSQL only")

    def index_names():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s)",
                [list(seed_demo.BULK_TABLES)],
            )
            return sorted(r[0] for r in cursor.fetchall())

    before = index_names()
    monkeypatch.setattr(seed_demo, "BUILD_INDEXES_AFTER", 1)
    output = seed(orders=120)
    assert "Building" in output
    assert index_names() == before
    assert Order.objects.count() == 120
    assert_ledger_consistent()

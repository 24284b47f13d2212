import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from shop.catalog.tests.factories import ProductFactory
from shop.orders.management.commands.expire_pending_orders import parse_duration
from shop.orders.models import Order, OrderStatusChange
from shop.orders.services import order_transition
from shop.orders.tests.helpers import assert_ledger_consistent, place

pytestmark = pytest.mark.django_db


def age(order, hours):
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )


def run(*args):
    out = StringIO()
    call_command("expire_pending_orders", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def orders(customer):
    product = ProductFactory(stock=10)
    stale, fresh, stale_paid = (place(customer, {product: 1}) for _ in range(3))
    for order in (stale, stale_paid):
        age(order, 72)
    age(fresh, 1)
    order_transition(order_id=stale_paid.pk, to_status=Order.Status.PROCESSING)
    return product, stale, fresh, stale_paid


def test_expire_cancels_and_restocks_only_stale_pending_orders(orders):
    product, stale, fresh, stale_paid = orders

    output = run("--older-than", "48h")

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        stale.pk: "cancelled",
        fresh.pk: "pending",
        stale_paid.pk: "processing",
    }
    product.refresh_from_db()
    assert product.stock == 8
    assert_ledger_consistent(product)
    change = OrderStatusChange.objects.filter(order=stale).last()
    assert (change.to_status, change.changed_by) == ("cancelled", None)
    assert f"Cancelled order #{stale.pk}" in output
    assert "Cancelled 1 pending order(s)" in output


def test_expire_dry_run_changes_nothing(orders):
    product, stale, *_ = orders

    output = run("--older-than", "2d", "--dry-run")

    assert f"Would cancel order #{stale.pk}" in output
    assert Order.objects.filter(status="cancelled").count() == 0
    product.refresh_from_db()
    assert product.stock == 7


def test_expire_with_a_shorter_age_takes_more(orders):
    run("--older-than", "30m")
    assert Order.objects.filter(status="cancelled").count() == 2


@pytest.mark.parametrize(
    "bad", ["", "48", "h", "-1h", "0m", "48x", "4 8h", "1e9d", "99999999999999d"]
)
def test_expire_refuses_bad_durations(bad):
    with pytest.raises(CommandError):
        run("--older-than", bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", dt.timedelta(minutes=30)),
        ("48h", dt.timedelta(hours=48)),
        ("7d", dt.timedelta(days=7)),
        ("1d12h", dt.timedelta(hours=36)),
        ("90s", dt.timedelta(seconds=90)),
        ("2w", dt.timedelta(weeks=2)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


def test_expire_command_has_help():
    from django.core.management import load_command_class

    command = load_command_class("shop.orders", "expire_pending_orders")
    assert "--older-than" in command.create_parser("manage.py", "x").format_help()

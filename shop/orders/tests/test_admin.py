from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order, OrderStatusChange
from shop.orders.services import order_transition
from shop.orders.tests.factories import OrderFactory
from shop.orders.tests.helpers import assert_ledger_consistent, place
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def run_action(client, action, orders):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [o.pk for o in orders]},
        follow=True,
    )


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_changelist_shows_orders_with_item_count(admin_client, customer):
    products = [ProductFactory(stock=50) for _ in range(3)]
    order = OrderFactory(customer=customer, lines=[(p, 1) for p in products])

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    row = response.context["cl"].result_list[0]
    assert row.pk == order.pk and row.item_count == 3
    assert customer.email in response.content.decode()


def test_changelist_query_count_is_constant(
    admin_client, customer, django_assert_max_num_queries
):
    products = [ProductFactory(stock=500) for _ in range(3)]
    OrderFactory.create_batch(2, customer=customer, lines=[(p, 1) for p in products])
    admin_client.get(CHANGELIST)  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200

    OrderFactory.create_batch(
        30, customer=UserFactory(), lines=[(p, 1) for p in products]
    )
    with django_assert_max_num_queries(len(few)):
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 32


def test_change_form_shows_lines_and_history_read_only(admin_client, placed_order):
    url = reverse("admin:orders_order_change", args=[placed_order.pk])

    response = admin_client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert placed_order.items.get().product_sku in content
    assert 'name="status"' not in content  # moves only through the actions
    assert 'name="items-0-quantity"' not in content


def test_status_cannot_be_edited_in_the_change_form(admin_client, placed_order):
    url = reverse("admin:orders_order_change", args=[placed_order.pk])
    data = {
        "shipping_address": "New address",
        "note": "",
        "status": "delivered",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
        "history-TOTAL_FORMS": "0",
        "history-INITIAL_FORMS": "0",
    }

    admin_client.post(url, data)

    placed_order.refresh_from_db()
    assert placed_order.status == "pending"


def test_actions_walk_the_workflow_and_report_refusals(admin_client, customer, staff):
    product = ProductFactory(stock=10)
    pending, processing = place(customer, {product: 1}), place(customer, {product: 1})
    order_transition(order_id=processing.pk, to_status="processing")

    response = run_action(admin_client, "mark_shipped", [pending, processing])

    assert response.status_code == 200
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: "pending", processing.pk: "shipped"}
    levels = dict(messages_of(response))
    assert "1 order(s) moved to shipped" in levels["success"]
    assert f"#{pending.pk}" in levels["warning"]
    change = OrderStatusChange.objects.filter(order=processing).last()
    assert change.changed_by == staff


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("mark_processing", "processing"),
        ("mark_shipped", "pending"),
        ("mark_delivered", "pending"),
        ("cancel_orders", "cancelled"),
    ],
)
def test_each_action_from_pending(admin_client, placed_order, action, expected):
    run_action(admin_client, action, [placed_order])
    placed_order.refresh_from_db()
    assert placed_order.status == expected


def test_cancel_action_restocks_once(admin_client, placed_order, product):
    run_action(admin_client, "cancel_orders", [placed_order])
    response = run_action(admin_client, "cancel_orders", [placed_order])

    product.refresh_from_db()
    assert product.stock == 10
    assert_ledger_consistent(product)
    assert any(level == "warning" for level, _ in messages_of(response))


def test_no_bulk_delete_and_live_orders_cannot_be_deleted(admin_client, placed_order):
    response = admin_client.get(CHANGELIST)
    actions = [
        value for value, _ in response.context["action_form"].fields["action"].choices
    ]
    assert "delete_selected" not in actions
    assert {
        "mark_processing",
        "mark_shipped",
        "mark_delivered",
        "cancel_orders",
    } <= set(actions)
    delete = reverse("admin:orders_order_delete", args=[placed_order.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=placed_order.pk).exists()


def test_a_cancelled_order_can_be_deleted_and_the_ledger_still_adds_up(
    admin_client, customer, staff
):
    product = ProductFactory(stock=5)
    order = place(customer, {product: 2})
    order_transition(order_id=order.pk, to_status="cancelled", by_user=staff)

    delete = reverse("admin:orders_order_delete", args=[order.pk])
    response = admin_client.post(delete, {"post": "yes"})

    assert response.status_code == 302
    assert not Order.objects.filter(pk=order.pk).exists()
    product.refresh_from_db()
    assert product.stock == 5
    assert_ledger_consistent(product)


def _place_form(customer, lines, address="1 Main St"):
    data = {
        "customer": customer.pk,
        "shipping_address": address,
        "note": "phoned in",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
    }
    for i, (product, quantity) in enumerate(lines):
        data[f"lines-{i}-product"] = product.pk
        data[f"lines-{i}-quantity"] = quantity
    return data


def test_staff_place_an_order_for_a_customer_through_checkout(admin_client, customer):
    first = ProductFactory(stock=5, price=Decimal("2.50"))
    second = ProductFactory(stock=3)
    add = reverse("admin:orders_order_add")
    assert admin_client.get(add).status_code == 200

    response = admin_client.post(add, _place_form(customer, [(first, 2), (second, 1)]))

    order = Order.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert order.total == 2 * first.price + second.price
    assert order.shipping_address == "1 Main St"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stock, second.stock) == (3, 2)
    assert_ledger_consistent(first)
    assert_ledger_consistent(second)


def test_admin_order_short_of_stock_changes_nothing_and_says_why(
    admin_client, customer
):
    scarce = ProductFactory(stock=1)
    add = reverse("admin:orders_order_add")

    response = admin_client.post(add, _place_form(customer, [(scarce, 3)]))

    assert response.status_code == 200
    assert "3 wanted, 1 in stock" in response.content.decode()
    assert not Order.objects.exists()
    scarce.refresh_from_db()
    assert scarce.stock == 1


def test_customers_cannot_open_the_place_order_page(client, customer):
    client.force_login(customer)
    response = client.get(reverse("admin:orders_order_add"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_search_by_id_and_email(admin_client, customer, other_customer, product):
    mine, theirs = place(customer, {product: 1}), place(other_customer, {product: 1})

    def found(q):
        response = admin_client.get(CHANGELIST, {"q": q})
        return [o.pk for o in response.context["cl"].result_list]

    assert found(str(theirs.pk)) == [theirs.pk]
    assert found(f"#{mine.pk}") == [mine.pk]
    assert found(customer.email.upper()) == [mine.pk]
    assert found("nobody@example.com") == []


def test_filters_and_date_hierarchy_render(admin_client, placed_order):
    assert admin_client.get(CHANGELIST, {"status__exact": "pending"}).status_code == 200
    year = placed_order.created_at.year
    assert admin_client.get(CHANGELIST, {"created_at__year": year}).status_code == 200


def test_csv_export(admin_client, customer, product):
    order = place(customer, {product: 3})

    response = run_action(admin_client, "export_csv", [order])

    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,created_at,customer_email,status,total,items")
    assert lines[1].startswith(f"{order.pk},")
    assert customer.email in lines[1] and ",pending,30.00,1," in lines[1]


def test_view_only_staff_cannot_run_workflow_actions(client, placed_order):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)

    response = client.get(CHANGELIST)
    actions = [
        value for value, _ in response.context["action_form"].fields["action"].choices
    ]

    assert "mark_processing" not in actions
    assert "export_csv" in actions

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.catalog.models import StockMovement
from shop.catalog.tests.factories import ProductFactory
from shop.conftest import auth_client
from shop.orders.models import Order
from shop.orders.services import MAX_LINE_QUANTITY, MAX_ORDER_LINES
from shop.orders.tests.helpers import assert_ledger_consistent, place
from shop.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
Status = Order.Status


def detail(order, suffix=""):
    return f"{URL}{order.pk}/{suffix}"


# --- Placing orders ------------------------------------------------------------


def test_place_order_returns_the_order_with_snapshots(customer_client, customer):
    a = ProductFactory(price=Decimal("12.50"), stock=10)
    b = ProductFactory(price=Decimal("3.00"), stock=10)

    response = customer_client.post(
        URL,
        {
            "items": [
                {"product": a.pk, "quantity": 2},
                {"product": b.pk, "quantity": 1},
            ],
            "shipping_address": "1 Main St",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert body["customer"] == customer.pk
    assert body["total"] == "28.00"
    assert body["shipping_address"] == "1 Main St"
    assert [
        (i["product"], i["quantity"], i["unit_price"], i["line_total"])
        for i in body["items"]
    ] == [(a.pk, 2, "12.50", "25.00"), (b.pk, 1, "3.00", "3.00")]
    assert body["items"][0]["product_sku"] == a.sku
    a.refresh_from_db()
    assert a.stock == 8


def test_client_prices_and_totals_are_ignored(customer_client):
    product = ProductFactory(price=Decimal("10.00"), stock=10)

    response = customer_client.post(
        URL,
        {
            "items": [
                {"product": product.pk, "quantity": 2, "unit_price": "0.01"},
            ],
            "total": "0.01",
            "status": "delivered",
        },
    )

    assert response.status_code == 201
    assert response.json()["total"] == "20.00"
    assert response.json()["status"] == "pending"
    assert response.json()["items"][0]["unit_price"] == "10.00"


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{"product": "P", "quantity": 0}],
        [{"product": "P", "quantity": -3}],
        [{"product": "P", "quantity": MAX_LINE_QUANTITY + 1}],
        [{"product": "P", "quantity": 2**64}],
        [{"product": "P", "quantity": 10**30}],
        [{"product": 2**64, "quantity": 1}],
        [{"product": "P", "quantity": 1.5}],
        [{"product": "P", "quantity": "many"}],
        [{"product": "P"}],
        [{"quantity": 1}],
        [{"product": "P", "quantity": MAX_LINE_QUANTITY}] * 2,
        [{"product": n, "quantity": 1} for n in range(1, MAX_ORDER_LINES + 2)],
        "not a list",
    ],
    ids=[
        "empty",
        "zero",
        "negative",
        "over-cap",
        "int64-overflow",
        "huge",
        "huge-product",
        "float",
        "text",
        "no-quantity",
        "no-product",
        "merged-over-cap",
        "too-many-lines",
        "not-a-list",
    ],
)
def test_invalid_items_are_400(customer_client, items):
    product = ProductFactory(stock=5000)
    if isinstance(items, list):
        items = [
            {k: (product.pk if v == "P" else v) for k, v in line.items()}
            for line in items
        ]

    response = customer_client.post(URL, {"items": items})

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert not Order.objects.exists()


def test_a_quantity_sent_as_text_is_400_and_places_nothing(customer_client):
    product = ProductFactory(stock=10)

    response = customer_client.post(
        URL, {"items": [{"product": product.pk, "quantity": "5"}]}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert response.json()["extra"]["fields"]["items"]["0"]["quantity"]
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock == 10


def test_missing_items_is_400(customer_client):
    response = customer_client.post(URL, {})
    assert response.status_code == 400
    assert "items" in response.json()["extra"]["fields"]


def test_duplicate_lines_are_merged(customer_client):
    product = ProductFactory(stock=10)

    response = customer_client.post(
        URL,
        {
            "items": [
                {"product": product.pk, "quantity": 2},
                {"product": product.pk, "quantity": 3},
            ]
        },
    )

    assert response.status_code == 201
    assert [(i["product"], i["quantity"]) for i in response.json()["items"]] == [
        (product.pk, 5)
    ]


def test_unknown_or_inactive_product_is_400(customer_client):
    good = ProductFactory(stock=5)
    inactive = ProductFactory(stock=5, is_active=False)

    response = customer_client.post(
        URL,
        {
            "items": [
                {"product": good.pk, "quantity": 1},
                {"product": inactive.pk, "quantity": 1},
                {"product": 987654, "quantity": 1},
            ]
        },
    )

    assert response.status_code == 400
    assert response.json()["code"] == "product_unavailable"
    assert response.json()["extra"]["products"] == sorted([inactive.pk, 987654])
    good.refresh_from_db()
    assert good.stock == 5


def test_insufficient_stock_is_409_with_available_per_line(customer_client):
    plenty = ProductFactory(stock=10)
    few = ProductFactory(stock=1)

    response = customer_client.post(
        URL,
        {
            "items": [
                {"product": plenty.pk, "quantity": 2},
                {"product": few.pk, "quantity": 4},
            ]
        },
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "insufficient_stock"
    assert body["extra"]["lines"] == [
        {"product": few.pk, "requested": 4, "available": 1}
    ]
    plenty.refresh_from_db()
    assert plenty.stock == 10
    assert_ledger_consistent(plenty, few)


def test_anonymous_cannot_order(api_client, product):
    response = api_client.post(URL, {"items": [{"product": product.pk, "quantity": 1}]})
    assert response.status_code == 401


# --- Reading orders ------------------------------------------------------------


def test_customers_list_only_their_own_orders(customer, other_customer, product):
    mine = place(customer, {product: 1})
    place(other_customer, {product: 1})

    response = auth_client(customer).get(URL)

    assert response.status_code == 200
    assert [o["id"] for o in response.json()["results"]] == [mine.pk]


def test_customer_filter_from_a_customer_is_ignored(customer, other_customer, product):
    mine = place(customer, {product: 1})
    place(other_customer, {product: 1})

    response = auth_client(customer).get(URL, {"customer": other_customer.pk})

    assert [o["id"] for o in response.json()["results"]] == [mine.pk]


def test_staff_list_all_orders_newest_first_and_filter_by_customer(
    staff_client, customer, other_customer, product
):
    first = place(customer, {product: 1})
    second = place(other_customer, {product: 1})

    everyone = staff_client.get(URL).json()["results"]
    theirs = staff_client.get(URL, {"customer": other_customer.pk}).json()["results"]

    assert [o["id"] for o in everyone] == [second.pk, first.pk]
    assert [o["id"] for o in theirs] == [second.pk]


def test_filters_by_status_and_dates(customer_client, customer, product):
    old = place(customer, {product: 1})
    Order.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10)
    )
    new = place(customer, {product: 1})
    Order.objects.filter(pk=new.pk).update(status=Status.PROCESSING)
    cutoff = (timezone.now() - dt.timedelta(days=5)).isoformat()

    def ids(**params):
        response = customer_client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [o["id"] for o in response.json()["results"]]

    assert ids(status="processing") == [new.pk]
    assert ids(status="pending") == [old.pk]
    assert ids(created_after=cutoff) == [new.pk]
    assert ids(created_before=cutoff) == [old.pk]
    assert ids(created_before=timezone.now().date().isoformat()) == [old.pk]


def test_bad_filter_values_are_400(staff_client):
    assert staff_client.get(URL, {"status": "lost"}).status_code == 400
    assert staff_client.get(URL, {"created_after": "yesterday"}).status_code == 400
    assert staff_client.get(URL, {"customer": str(2**70)}).status_code == 400


def test_list_query_count_does_not_grow_with_orders(
    customer, staff, django_assert_max_num_queries
):
    products = [ProductFactory(stock=100) for _ in range(3)]
    client, staff_api = auth_client(customer), auth_client(staff)
    place(customer, {p: 1 for p in products})
    # auth user + count + page + items; staff add their two permission reads.
    with django_assert_max_num_queries(4):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(6):
        assert staff_api.get(URL).status_code == 200

    for _ in range(15):
        place(customer, {p: 1 for p in products})

    with django_assert_max_num_queries(4):
        response = client.get(URL)
    assert len(response.json()["results"]) == 16
    with django_assert_max_num_queries(6):
        assert staff_api.get(URL).status_code == 200


def test_owner_and_staff_read_an_order_others_get_404(
    placed_order, customer, other_customer, staff
):
    assert auth_client(customer).get(detail(placed_order)).status_code == 200
    assert auth_client(staff).get(detail(placed_order)).status_code == 200
    response = auth_client(other_customer).get(detail(placed_order))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_huge_order_id_is_404_not_500(customer_client):
    assert customer_client.get(f"{URL}{2**70}/").status_code == 404


# --- Cancelling ----------------------------------------------------------------


def test_owner_cancels_pending_order_and_stock_returns(
    placed_order, customer_client, product
):
    response = customer_client.post(detail(placed_order, "cancel/"))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    product.refresh_from_db()
    assert product.stock == 10
    assert_ledger_consistent(product)
    again = customer_client.post(detail(placed_order, "cancel/"))
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    product.refresh_from_db()
    assert product.stock == 10


def test_owner_cannot_cancel_processing_order(placed_order, customer_client, staff):
    Order.objects.filter(pk=placed_order.pk).update(status=Status.PROCESSING)

    response = customer_client.post(detail(placed_order, "cancel/"))

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_another_customer_cannot_cancel(placed_order, other_customer, product):
    response = auth_client(other_customer).post(detail(placed_order, "cancel/"))

    assert response.status_code == 404
    placed_order.refresh_from_db()
    assert placed_order.status == Status.PENDING
    product.refresh_from_db()
    assert product.stock == 8


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.PENDING, 200),
        (Status.PROCESSING, 200),
        (Status.SHIPPED, 409),
        (Status.DELIVERED, 409),
        (Status.CANCELLED, 409),
    ],
)
def test_staff_cancel_by_status(placed_order, staff_client, status, expected):
    Order.objects.filter(pk=placed_order.pk).update(status=status)

    response = staff_client.post(detail(placed_order, "cancel/"))

    assert response.status_code == expected


# --- Status changes --------------------------------------------------------------


def test_staff_walk_an_order_through_the_workflow(placed_order, staff_client):
    for to_status in ("processing", "shipped", "delivered"):
        response = staff_client.post(
            detail(placed_order, "status/"), {"status": to_status}
        )
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == to_status


@pytest.mark.parametrize(
    ("to_status", "expected"),
    [
        ("pending", 409),
        ("processing", 200),
        ("shipped", 409),
        ("delivered", 409),
        ("cancelled", 200),
    ],
)
def test_staff_status_moves_from_pending(
    placed_order, staff_client, to_status, expected
):
    response = staff_client.post(detail(placed_order, "status/"), {"status": to_status})

    assert response.status_code == expected
    if expected == 409:
        assert response.json()["code"] == "invalid_transition"


def test_status_cancel_restocks(placed_order, staff_client, product):
    response = staff_client.post(
        detail(placed_order, "status/"), {"status": "cancelled"}
    )

    assert response.status_code == 200
    product.refresh_from_db()
    assert product.stock == 10


def test_unknown_status_is_400(placed_order, staff_client):
    response = staff_client.post(detail(placed_order, "status/"), {"status": "lost"})
    assert response.status_code == 400


def test_customers_cannot_change_status(placed_order, customer_client):
    response = customer_client.post(
        detail(placed_order, "status/"), {"status": "processing"}
    )

    assert response.status_code == 403
    placed_order.refresh_from_db()
    assert placed_order.status == Status.PENDING


def test_staff_without_order_permissions_cannot_change_status(placed_order):
    bare_staff = UserFactory(is_staff=True)

    response = auth_client(bare_staff).post(
        detail(placed_order, "status/"), {"status": "processing"}
    )

    assert response.status_code == 403


def test_status_of_missing_order_is_404(staff_client):
    response = staff_client.post(f"{URL}999999/status/", {"status": "processing"})
    assert response.status_code == 404


# --- Summary ---------------------------------------------------------------------


def test_summary_covers_only_the_callers_orders(customer, other_customer):
    product = ProductFactory(price=Decimal("5.00"), stock=100)
    place(customer, {product: 2})
    cancelled = place(customer, {product: 1})
    Order.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED)
    place(other_customer, {product: 10})

    response = auth_client(customer).get(f"{URL}summary/")

    assert response.status_code == 200
    body = response.json()
    assert body["order_count"] == 2
    assert Decimal(body["amount_spent"]) == Decimal("10.00")
    assert body["counts_by_status"]["pending"] == 1
    assert body["counts_by_status"]["cancelled"] == 1
    assert body["first_order_at"] is not None
    assert body["last_order_at"] is not None


def test_summary_of_a_new_customer_is_empty(customer_client):
    body = customer_client.get(f"{URL}summary/").json()
    assert body["order_count"] == 0
    assert Decimal(body["amount_spent"]) == 0
    assert body["first_order_at"] is None


def test_summary_ignores_a_customer_parameter(customer, other_customer, product):
    place(other_customer, {product: 1})

    body = auth_client(customer).get(f"{URL}summary/", {"customer": other_customer.pk})

    assert body.json()["order_count"] == 0


def test_every_order_movement_is_in_the_ledger(customer_client, placed_order, product):
    customer_client.post(detail(placed_order, "cancel/"))
    reasons = list(
        StockMovement.objects.filter(order=placed_order).values_list(
            "reason", flat=True
        )
    )
    assert sorted(reasons) == ["cancellation", "order"]

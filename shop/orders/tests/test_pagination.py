"""GET orders/ pages: limit/offset by default, opaque cursors on request."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from shop.conftest import auth_client
from shop.orders.models import Order
from shop.orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


@pytest.fixture
def orders(customer, other_customer):
    """25 orders, newest first; pairs share a created_at to test the tie-break."""
    start = timezone.now() - dt.timedelta(days=1)
    made = []
    for i in range(25):
        made.append(
            OrderFactory(
                customer=customer if i % 5 else other_customer,
                created_at=start + dt.timedelta(minutes=i // 2),
                status=Order.Status.PROCESSING if i % 3 == 0 else Order.Status.PENDING,
            )
        )
    return sorted(made, key=lambda o: (o.created_at, o.pk), reverse=True)


def walk(client, params):
    """Every page by following `next`; returns the ids and the pages."""
    pages = [client.get(URL, params).json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    return [o["id"] for page in pages for o in page["results"]], pages


def test_cursor_pages_walk_every_order_once_in_list_order(staff, orders):
    ids, pages = walk(auth_client(staff), {"paginate": "cursor", "limit": 4})

    assert ids == [o.pk for o in orders]
    assert len(pages) == 7
    assert all(page["count"] is None for page in pages)
    assert "offset=" not in pages[1]["next"]
    assert "cursor=" in pages[1]["next"]


def test_previous_links_walk_back(staff, orders):
    client = auth_client(staff)
    _, pages = walk(client, {"paginate": "cursor", "limit": 4})
    back = client.get(pages[3]["previous"]).json()
    assert [o["id"] for o in back["results"]] == [o["id"] for o in pages[2]["results"]]


def test_limit_offset_stays_the_default_with_a_count(staff, orders):
    response = auth_client(staff).get(URL, {"limit": 4, "offset": 8}).json()
    assert response["count"] == 25
    assert [o["id"] for o in response["results"]] == [o.pk for o in orders[8:12]]
    assert "offset=12" in response["next"]


def test_filters_apply_to_cursor_pages(staff, customer, orders):
    params = {
        "paginate": "cursor",
        "limit": 3,
        "status": "pending",
        "customer": customer.pk,
    }
    ids, _ = walk(auth_client(staff), params)
    expected = [
        o.pk
        for o in orders
        if o.status == Order.Status.PENDING and o.customer_id == customer.pk
    ]
    assert ids == expected
    # The links keep the filters.
    first = auth_client(staff).get(URL, params).json()
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["status"] == ["pending"] and query["customer"] == [str(customer.pk)]


def test_customers_page_their_own_orders_by_cursor(customer, orders):
    ids, _ = walk(auth_client(customer), {"paginate": "cursor", "limit": 5})
    assert ids == [o.pk for o in orders if o.customer_id == customer.pk]


def test_a_cursor_alone_selects_cursor_mode(staff, orders):
    client = auth_client(staff)
    first = client.get(URL, {"paginate": "cursor", "limit": 5}).json()
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]

    second = client.get(URL, {"cursor": cursor, "limit": 5}).json()

    assert second["count"] is None
    assert [o["id"] for o in second["results"]] == [o.pk for o in orders[5:10]]


def test_cursor_page_size_is_capped_like_limit(staff, orders):
    response = auth_client(staff).get(URL, {"paginate": "cursor", "limit": 1000})
    assert len(response.json()["results"]) == 25  # all of them, under the cap of 100
    default = auth_client(staff).get(URL, {"paginate": "cursor"}).json()
    assert len(default["results"]) == 20


def test_a_mangled_cursor_is_a_400(staff):
    response = auth_client(staff).get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "cursor" in response.json()["extra"]["fields"]


def test_cursor_pages_have_a_constant_query_count(
    customer, orders, django_assert_max_num_queries
):
    client = auth_client(customer)
    first = client.get(URL, {"paginate": "cursor", "limit": 5}).json()
    # auth user + page + items: no count.
    with django_assert_max_num_queries(3):
        assert client.get(first["next"]).status_code == 200


def test_the_schema_documents_cursor_mode(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/orders/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"limit", "offset", "paginate", "cursor"} <= names
    paginate = next(p for p in operation["parameters"] if p["name"] == "paginate")
    assert paginate["schema"]["enum"] == ["offset", "cursor"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]
    page = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    assert page["properties"]["count"]["nullable"] is True
    assert "cursor mode" in page["properties"]["count"]["description"]

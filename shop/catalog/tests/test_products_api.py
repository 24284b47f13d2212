import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache

from shop.catalog import selectors
from shop.catalog.filters import ProductFilter
from shop.catalog.models import Product, StockMovement
from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.orders.tests.factories import OrderItemFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def detail(product) -> str:
    return f"{LIST}{product.pk}/"


def valid_payload(**overrides):
    payload = {
        "name": "Blue mug",
        "sku": "mug-blue",
        "price": "12.50",
        "stock": 7,
        "description": "A mug.",
    }
    payload.update(overrides)
    return payload


def ledger(product) -> int:
    return sum(m.delta for m in StockMovement.objects.filter(product=product))


# --- reading ---------------------------------------------------------------


def test_list_is_public_and_hides_inactive_products(api_client):
    active = ProductFactory()
    ProductFactory(is_active=False)
    response = api_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [active.pk]
    assert set(body) == {"count", "next", "previous", "results"}


def test_list_and_detail_render_the_same_shape(api_client):
    product = ProductFactory(price=Decimal("9.90"), stock=3)
    row = api_client.get(LIST).json()["results"][0]
    assert row == api_client.get(detail(product)).json()
    assert row["price"] == "9.90"
    assert row["sku"] == product.sku
    assert row["category"] == product.category_id
    assert row["created_at"].endswith("Z")
    assert set(row) == {
        "id",
        "name",
        "slug",
        "sku",
        "description",
        "category",
        "price",
        "stock",
        "is_active",
        "image",
        "created_at",
        "updated_at",
    }
    assert row["image"] is None


def test_staff_may_list_inactive_products_others_may_not(
    api_client, customer_client, staff_client
):
    ProductFactory()
    ProductFactory(is_active=False)
    url = f"{LIST}?include_inactive=true"
    assert staff_client.get(url).json()["count"] == 2
    assert staff_client.get(LIST).json()["count"] == 1
    assert customer_client.get(url).json()["count"] == 1
    assert api_client.get(url).json()["count"] == 1


def test_inactive_product_detail_is_404_except_for_staff(
    api_client, customer_client, staff_client
):
    product = ProductFactory(is_active=False)
    assert api_client.get(detail(product)).status_code == 404
    assert customer_client.get(detail(product)).status_code == 404
    assert staff_client.get(detail(product)).status_code == 200


@pytest.mark.parametrize("pk", ["abc", "99999999999999999999999", "0", "%00"])
def test_unknown_product_ids_are_404(api_client, pk):
    response = api_client.get(f"{LIST}{pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- permissions -----------------------------------------------------------


@pytest.mark.parametrize(
    "client_name, expected",
    [("api_client", 401), ("customer_client", 403), ("staff_client", 201)],
)
def test_create_permission(request, client_name, expected):
    client = request.getfixturevalue(client_name)
    response = client.post(LIST, valid_payload())
    assert response.status_code == expected, response.json()


@pytest.mark.parametrize(
    "client_name, expected",
    [("api_client", 401), ("customer_client", 403), ("staff_client", 200)],
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_permission(request, client_name, expected, method):
    client = request.getfixturevalue(client_name)
    product = ProductFactory()
    payload = valid_payload(sku=product.sku, name="Renamed")
    response = getattr(client, method)(detail(product), payload)
    assert response.status_code == expected, response.json()
    product.refresh_from_db()
    assert (product.name == "Renamed") is (expected == 200)


@pytest.mark.parametrize(
    "client_name, expected",
    [("api_client", 401), ("customer_client", 403), ("staff_client", 204)],
)
def test_delete_permission(request, client_name, expected):
    client = request.getfixturevalue(client_name)
    product = ProductFactory()
    assert client.delete(detail(product)).status_code == expected
    assert Product.objects.filter(pk=product.pk).exists() is (expected != 204)


@pytest.mark.parametrize(
    "client_name, expected",
    [("api_client", 401), ("customer_client", 403), ("staff_client", 200)],
)
def test_stock_endpoint_permission(request, client_name, expected):
    client = request.getfixturevalue(client_name)
    product = ProductFactory(stock=5)
    response = client.post(f"{detail(product)}stock/", {"delta": 3})
    assert response.status_code == expected
    product.refresh_from_db()
    assert product.stock == (8 if expected == 200 else 5)


def test_staff_without_model_permission_cannot_write(auth_client_for_bare_staff):
    response = auth_client_for_bare_staff.post(LIST, valid_payload())
    assert response.status_code == 403


@pytest.fixture
def auth_client_for_bare_staff(db):
    from shop.conftest import auth_client
    from shop.users.tests.factories import UserFactory

    return auth_client(UserFactory(is_staff=True))


# --- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value",
    [
        ("price", "0"),
        ("price", "0.00"),
        ("price", "-1.00"),
        ("price", "1.999"),
        ("price", "abc"),
        ("price", "NaN"),
        ("price", "Infinity"),
        ("price", "100000000.00"),
        ("price", "1e20"),
        ("price", None),
        ("price", True),
        ("stock", -1),
        ("stock", 1.5),
        ("stock", "2.5"),
        ("stock", 2**31),
        ("stock", 10**30),
        ("stock", "many"),
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 201),
        ("name", "nul\x00byte"),
        ("sku", ""),
        ("sku", "has space"),
        ("sku", "x" * 65),
        ("slug", "not a slug"),
        ("category", 999999),
        ("category", 10**30),
        ("category", "abc"),
        ("is_active", "maybe"),
    ],
)
def test_invalid_product_input_is_400(staff_client, field, value):
    response = staff_client.post(LIST, valid_payload(**{field: value}))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["extra"]["fields"]
    assert not Product.objects.exists()


def test_invalid_patch_is_400_and_changes_nothing(staff_client):
    product = ProductFactory(price=Decimal("5.00"), stock=4)
    for payload in ({"price": "0"}, {"stock": -3}, {"name": " "}):
        response = staff_client.patch(detail(product), payload)
        assert response.status_code == 400
    product.refresh_from_db()
    assert (product.price, product.stock, product.name) == (
        Decimal("5.00"),
        4,
        product.name,
    )


def test_duplicate_sku_is_400_case_insensitively(staff_client):
    ProductFactory(sku="MUG-BLUE")
    response = staff_client.post(LIST, valid_payload(sku="mug-blue"))
    assert response.status_code == 400
    assert "sku" in response.json()["extra"]["fields"]


def test_duplicate_slug_is_400_case_insensitively(staff_client):
    ProductFactory(slug="blue-mug")
    response = staff_client.post(LIST, valid_payload(slug="Blue-Mug"))
    assert response.status_code == 400
    assert "slug" in response.json()["extra"]["fields"]


def test_patch_to_another_products_sku_is_400(staff_client):
    ProductFactory(sku="TAKEN")
    product = ProductFactory()
    response = staff_client.patch(detail(product), {"sku": "taken"})
    assert response.status_code == 400
    assert staff_client.patch(detail(product), {"sku": product.sku}).status_code == 200


def test_create_normalises_sku_and_derives_a_slug(staff_client):
    ProductFactory(slug="blue-mug")
    response = staff_client.post(LIST, valid_payload(name="Blue mug", sku="ab-1"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sku"] == "AB-1"
    assert body["slug"] == "blue-mug-ab-1"


# --- stock through the API -------------------------------------------------


def test_create_with_stock_records_an_initial_movement(staff_client, staff):
    response = staff_client.post(LIST, valid_payload(stock=7))
    product = Product.objects.get(pk=response.json()["id"])
    movement = product.movements.get()
    assert (movement.delta, movement.reason, movement.user) == (
        7,
        StockMovement.Reason.INITIAL,
        staff,
    )
    assert product.stock == 7 == response.json()["stock"]


def test_patch_stock_records_the_difference_as_a_movement(staff_client, staff):
    product = ProductFactory(stock=10)
    old_updated = product.updated_at
    response = staff_client.patch(detail(product), {"stock": 4})
    assert response.status_code == 200
    assert response.json()["stock"] == 4
    product.refresh_from_db()
    assert product.stock == 4 == ledger(product)
    assert product.updated_at > old_updated
    last = product.movements.first()
    assert (last.delta, last.reason, last.user) == (
        -6,
        StockMovement.Reason.ADJUSTMENT,
        staff,
    )


def test_patch_stock_applies_against_the_current_value(staff_client):
    from shop.catalog.services import stock_adjust

    product = ProductFactory(stock=10)
    # A sale between the staff member loading the product and saving.
    stock_adjust(product_id=product.pk, delta=-3, reason=StockMovement.Reason.ORDER)
    response = staff_client.patch(detail(product), {"stock": 20})
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.stock == 20 == ledger(product)
    assert product.movements.first().delta == 13


def test_patch_stock_with_stale_expected_stock_is_409(staff_client):
    product = ProductFactory(stock=10)
    response = staff_client.patch(detail(product), {"stock": 12, "expected_stock": 9})
    assert response.status_code == 409
    assert response.json()["code"] == "stock_changed"
    assert response.json()["extra"]["current"] == 10
    ok = staff_client.patch(detail(product), {"stock": 12, "expected_stock": 10})
    assert ok.status_code == 200
    assert ok.json()["stock"] == 12


def test_patch_without_stock_leaves_the_ledger_alone(staff_client):
    product = ProductFactory(stock=10)
    staff_client.patch(detail(product), {"price": "3.00"})
    assert product.movements.count() == 1


def test_stock_endpoint_adds_and_removes_units(staff_client):
    product = ProductFactory(stock=5)
    url = f"{detail(product)}stock/"
    response = staff_client.post(url, {"delta": 10, "reason": "restock", "note": "PO"})
    assert response.status_code == 200
    assert response.json()["stock"] == 15
    response = staff_client.post(url, {"delta": -20})
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert staff_client.post(url, {"delta": 0}).status_code == 400
    assert staff_client.post(url, {"delta": "x"}).status_code == 400
    assert staff_client.post(url, {"delta": 2**31}).status_code == 400
    product.refresh_from_db()
    assert product.stock == 15 == ledger(product)


def test_stock_endpoint_refuses_overflowing_the_column(staff_client):
    product = ProductFactory(stock=2**31 - 5)
    response = staff_client.post(f"{detail(product)}stock/", {"delta": 10})
    assert response.status_code == 409
    assert response.json()["code"] == "stock_out_of_range"


# --- deleting --------------------------------------------------------------


def test_deleting_a_product_on_an_order_is_409(staff_client):
    item = OrderItemFactory()
    response = staff_client.delete(detail(item.product))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "product_in_use"
    assert "deactivate" in body["message"]
    assert Product.objects.filter(pk=item.product.pk).exists()


def test_deleting_a_product_removes_its_ledger(staff_client):
    product = ProductFactory(stock=3)
    assert staff_client.delete(detail(product)).status_code == 204
    assert not StockMovement.objects.filter(product_id=product.pk).exists()


# --- filters, search, ordering, pagination ---------------------------------


@pytest.fixture
def shelf(db):
    tools = CategoryFactory(slug="tools")
    hammers = CategoryFactory(slug="hammers", parent=tools)
    garden = CategoryFactory(slug="garden")
    return {
        "claw": ProductFactory(
            name="Claw hammer",
            sku="HAM-1",
            category=hammers,
            price=Decimal("20.00"),
            stock=0,
            description="Steel",
        ),
        "saw": ProductFactory(
            name="Saw",
            sku="SAW-1",
            category=tools,
            price=Decimal("35.00"),
            description="Sharp teeth",
        ),
        "hose": ProductFactory(
            name="Hose",
            sku="GRD-7",
            category=garden,
            price=Decimal("9.99"),
            description="Green rubber",
        ),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_filter_by_category_id_slug_and_subcategories(api_client, shelf):
    tools = shelf["saw"].category
    hammers = shelf["claw"].category
    expected = {shelf["claw"].pk, shelf["saw"].pk}
    assert set(ids(api_client.get(f"{LIST}?category={tools.pk}"))) == expected
    assert set(ids(api_client.get(f"{LIST}?category=tools"))) == expected
    assert ids(api_client.get(f"{LIST}?category={hammers.pk}")) == [shelf["claw"].pk]
    assert ids(api_client.get(f"{LIST}?category=nope")) == []
    assert ids(api_client.get(f"{LIST}?category=999999999")) == []


def test_filter_by_price_range(api_client, shelf):
    url = f"{LIST}?min_price=10&max_price=30"
    assert ids(api_client.get(url)) == [shelf["claw"].pk]
    assert ids(api_client.get(f"{LIST}?min_price=35.00")) == [shelf["saw"].pk]


def test_filter_in_stock(api_client, shelf):
    assert shelf["claw"].pk not in ids(api_client.get(f"{LIST}?in_stock=true"))
    assert ids(api_client.get(f"{LIST}?in_stock=false")) == [shelf["claw"].pk]


@pytest.mark.parametrize(
    "term, key",
    [("hammer", "claw"), ("CLAW", "claw"), ("saw-1", "saw"), ("rubber", "hose")],
)
def test_search_name_sku_and_description(api_client, shelf, term, key):
    assert ids(api_client.get(LIST, {"search": term})) == [shelf[key].pk]


def test_search_terms_must_all_match(api_client, shelf):
    assert ids(api_client.get(LIST, {"search": "claw steel"})) == [shelf["claw"].pk]
    assert ids(api_client.get(LIST, {"search": "claw rubber"})) == []


@pytest.mark.parametrize(
    "ordering, order",
    [
        ("price", ["hose", "claw", "saw"]),
        ("-price", ["saw", "claw", "hose"]),
        ("name", ["claw", "hose", "saw"]),
        ("-name", ["saw", "hose", "claw"]),
        ("created_at", ["claw", "saw", "hose"]),
        ("-created_at", ["hose", "saw", "claw"]),
        ("unknown", ["claw", "saw", "hose"]),
        ("stock", ["claw", "saw", "hose"]),
    ],
)
def test_ordering_allowlist(api_client, shelf, ordering, order):
    response = api_client.get(LIST, {"ordering": ordering})
    assert ids(response) == [shelf[key].pk for key in order]


def test_pagination_limit_offset(api_client):
    products = [ProductFactory() for _ in range(5)]
    body = api_client.get(f"{LIST}?limit=2&offset=2").json()
    assert body["count"] == 5
    assert [row["id"] for row in body["results"]] == [p.pk for p in products[2:4]]
    assert "offset=4" in body["next"]
    assert body["previous"]
    body = api_client.get(f"{LIST}?limit=1000").json()
    assert len(body["results"]) == 5
    assert api_client.get(f"{LIST}?offset=9223372036854775807").status_code == 200
    # Beyond the schema's int64 maximum, like any non-integer: 400.
    assert api_client.get(f"{LIST}?offset=999999999999999999999").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "min_price=abc",
        "max_price=1,5",
        "min_price=NaN",
        "max_price=1e999",
        "min_price=-1",
        "min_price=1.001",
        "search=%00",
        "search=" + "x" * 101,
        "category=%00",
        "category=99999999999999999999999",
        "min_price=%00",
        "max_price=%00",
    ],
)
def test_bad_filter_values_are_400(api_client, shelf, query):
    response = api_client.get(f"{LIST}?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize("value", ["%00", "1", "True", "yes", ""])
def test_in_stock_takes_only_true_or_false(api_client, shelf, value):
    # The schema says boolean: anything else is refused, not silently dropped.
    response = api_client.get(f"{LIST}?in_stock={value}")
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["in_stock"]


@pytest.mark.parametrize(
    "param",
    [
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "search",
        "ordering",
        "limit",
        "offset",
        "include_inactive",
    ],
)
def test_nul_bytes_in_any_parameter_never_break_the_list(
    api_client, staff_client, shelf, param
):
    for client in (api_client, staff_client):
        response = client.get(f"{LIST}?{param}=a%00b")
        assert response.status_code in (200, 400)
        assert response["Content-Type"] == "application/json"


# --- filter form -----------------------------------------------------------


@pytest.fixture
def filtersets_built(monkeypatch):
    built = []
    real_init = ProductFilter.__init__

    def init(self, *args, **kwargs):
        built.append(kwargs["data"])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ProductFilter, "__init__", init)
    return built


@pytest.mark.parametrize("query", ["", "?limit=5&offset=1", "?ordering=-price"])
def test_a_list_naming_no_filter_builds_no_filter_form(
    api_client, filtersets_built, query
):
    ProductFactory.create_batch(3)
    assert api_client.get(f"{LIST}{query}").json()["count"] == 3
    assert filtersets_built == []


@pytest.mark.parametrize(
    ("query", "status"),
    [("?search=", 200), ("?in_stock=maybe", 400), ("?min_price=abc", 400)],
)
def test_any_filter_parameter_goes_through_the_form(
    api_client, filtersets_built, query, status
):
    assert api_client.get(f"{LIST}{query}").status_code == status
    assert len(filtersets_built) == 1


def test_the_default_page_reads_the_same_rows_as_the_orm(api_client):
    category = CategoryFactory()
    ProductFactory.create_batch(5, category=category, price=Decimal("12.50"))
    ProductFactory.create_batch(3, category=None, is_active=False)
    ProductFactory(description='Zoë\'s <mug> & "cup"', price=Decimal("1234.05"))
    orm = selectors.product_list().values(*selectors.PRODUCT_COLUMNS)

    assert selectors.ActiveProductRows()[2:6] == list(orm[2:6])
    assert selectors.ActiveProductRows().count() == 6
    # The default list and the ORM-built one (ordering given) answer alike.
    fast = api_client.get(f"{LIST}?limit=4&offset=1").json()
    built = api_client.get(f"{LIST}?limit=4&offset=1&ordering=id").json()
    assert fast["results"] == built["results"]
    assert fast["count"] == built["count"] == 6


# --- query counts ----------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", "?category=tools", "?search=ham&ordering=-price&in_stock=true"]
)
def test_list_query_count_is_constant(api_client, django_assert_max_num_queries, query):
    tools = CategoryFactory(slug="tools")
    ProductFactory.create_batch(3, category=tools)
    with django_assert_max_num_queries(3):
        api_client.get(f"{LIST}{query}")
    ProductFactory.create_batch(40, category=tools, name="Hammer")
    with django_assert_max_num_queries(3):
        response = api_client.get(f"{LIST}{query}")
    assert response.status_code == 200


def test_staff_list_query_count_is_constant(
    staff_client, django_assert_max_num_queries
):
    ProductFactory.create_batch(30)
    # Authentication loads the user; the page is count + rows.
    with django_assert_max_num_queries(3):
        response = staff_client.get(f"{LIST}?include_inactive=true")
    assert response.json()["count"] == 30


# --- cached totals ---------------------------------------------------------


def test_public_total_is_cached_briefly_but_staff_writes_show_at_once(
    api_client, staff_client, django_capture_on_commit_callbacks
):
    ProductFactory()
    assert api_client.get(LIST).json()["count"] == 1
    # A row written behind the services' back: the cached total stays.
    ProductFactory()
    assert api_client.get(LIST).json()["count"] == 1
    assert len(api_client.get(LIST).json()["results"]) == 2
    assert staff_client.get(LIST).json()["count"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(LIST, valid_payload())
    assert api_client.get(LIST).json()["count"] == 3


def test_total_cache_can_be_turned_off(api_client, settings):
    settings.SHOP_PRODUCT_COUNT_CACHE_SECONDS = 0
    ProductFactory()
    assert api_client.get(LIST).json()["count"] == 1
    ProductFactory()
    assert api_client.get(LIST).json()["count"] == 2


@pytest.fixture
def redis_trips(settings, monkeypatch):
    """The shop's Redis cache (skips without Redis), recording each round trip."""
    from shop.core.cache import RedisCacheClient

    settings.CACHES = {
        "default": {
            "BACKEND": "shop.core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/14",
            "KEY_PREFIX": uuid.uuid4().hex,
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    try:
        cache.get("probe")
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    trips: list[str] = []
    for name in ("get", "get_many", "set", "incr", "incr_many"):
        real = getattr(RedisCacheClient, name)

        def spy(self, *args, _name=name, _real=real, **kwargs):
            trips.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(RedisCacheClient, name, spy)
    yield trips
    cache.clear()


def test_a_public_page_reads_its_cached_total_in_the_throttles_round_trip(
    api_client, staff_client, redis_trips, django_capture_on_commit_callbacks
):
    ProductFactory()
    assert api_client.get(LIST).json()["count"] == 1
    # Counted (throttles and cached total read in one trip), then cached.
    assert redis_trips == ["incr_many", "set"]

    redis_trips.clear()
    ProductFactory()  # behind the services' back: the cached total stays
    response = api_client.get(f"{LIST}?limit=5").json()
    assert (response["count"], len(response["results"])) == (1, 2)
    assert redis_trips == ["incr_many"]

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(LIST, valid_payload())
    redis_trips.clear()
    assert api_client.get(LIST).json()["count"] == 3
    assert redis_trips == ["incr_many", "set"]

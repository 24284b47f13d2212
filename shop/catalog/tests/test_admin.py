import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.services import stock_adjust
from shop.catalog.tests.factories import CategoryFactory, ProductFactory
from shop.conftest import auth_client
from shop.orders.tests.factories import OrderItemFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


@pytest.fixture
def admin_client_staff(staff):
    client = Client()
    client.force_login(staff)
    return client


def product_form(**overrides):
    data = {
        "name": "Lamp",
        "slug": "lamp",
        "sku": "lamp-1",
        "category": "",
        "price": "30.00",
        "description": "",
        "is_active": "on",
        "stock_change": "",
        "stock_reason": "adjustment",
        "stock_note": "",
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
        "movements-MIN_NUM_FORMS": "0",
        "movements-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_changelist_queries_do_not_grow_with_rows(
    admin_client_staff, django_assert_max_num_queries
):
    ProductFactory.create_batch(3)
    with django_assert_max_num_queries(12) as few:
        assert admin_client_staff.get(CHANGELIST).status_code == 200
    ProductFactory.create_batch(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client_staff.get(CHANGELIST)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "?stock_level=in",
        "?stock_level=low",
        "?stock_level=out",
        "?is_active__exact=0",
        "?q=lamp",
    ],
)
def test_changelist_filters_and_search(admin_client_staff, query):
    ProductFactory(name="Lamp", stock=0)
    ProductFactory(name="Desk", stock=3)
    ProductFactory(name="Chair", stock=100, is_active=False)
    response = admin_client_staff.get(CHANGELIST + query)
    assert response.status_code == 200


def test_stock_level_filter_picks_the_right_rows(admin_client_staff, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 5
    ProductFactory(name="Empty", stock=0)
    ProductFactory(name="Few", stock=3)
    ProductFactory(name="Plenty", stock=50)
    for level, name in (("out", "Empty"), ("low", "Few"), ("in", "Plenty")):
        response = admin_client_staff.get(f"{CHANGELIST}?stock_level={level}")
        names = [p.name for p in response.context["cl"].result_list]
        assert names == [name]


def test_add_product_records_initial_stock(admin_client_staff, staff):
    response = admin_client_staff.post(
        f"{CHANGELIST}add/", product_form(stock_change="12")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get()
    assert product.sku == "LAMP-1"
    assert product.stock == 12
    movement = product.movements.get()
    assert (movement.delta, movement.reason, movement.user) == (
        12,
        StockMovement.Reason.INITIAL,
        staff,
    )


def test_change_product_applies_the_stock_delta_to_current_stock(
    admin_client_staff, staff
):
    product = ProductFactory(stock=10, sku="LAMP-1", slug="lamp")
    url = f"{CHANGELIST}{product.pk}/change/"
    assert admin_client_staff.get(url).status_code == 200
    # A sale while the form is open.
    stock_adjust(product_id=product.pk, delta=-4, reason=StockMovement.Reason.ORDER)
    response = admin_client_staff.post(
        url,
        product_form(
            name="Lamp v2",
            stock_change="5",
            stock_reason="restock",
            stock_note="delivery 42",
        ),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Lamp v2"
    assert product.stock == 11
    movement = product.movements.first()
    assert (movement.delta, movement.reason, movement.note, movement.user) == (
        5,
        StockMovement.Reason.RESTOCK,
        "delivery 42",
        staff,
    )


def test_change_product_refuses_stock_below_zero(admin_client_staff):
    product = ProductFactory(stock=2, sku="LAMP-1", slug="lamp")
    response = admin_client_staff.post(
        f"{CHANGELIST}{product.pk}/change/", product_form(stock_change="-3")
    )
    assert response.status_code == 200
    assert "stock_change" in response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.stock == 2


@pytest.mark.parametrize("price", ["0", "-1", "1.234"])
def test_admin_form_rejects_bad_prices(admin_client_staff, price):
    response = admin_client_staff.post(f"{CHANGELIST}add/", product_form(price=price))
    assert response.status_code == 200
    assert not Product.objects.exists()


def test_admin_rejects_duplicate_sku_case_insensitively(admin_client_staff):
    ProductFactory(sku="LAMP-1")
    response = admin_client_staff.post(f"{CHANGELIST}add/", product_form())
    assert response.status_code == 200
    assert "sku" in response.context["adminform"].form.errors


@pytest.mark.parametrize("sku", ["-LAMP", "LAMP 1", "LAMP#1", "LÄMP"])
def test_admin_refuses_a_sku_the_api_refuses(admin_client_staff, sku, staff):
    response = admin_client_staff.post(f"{CHANGELIST}add/", product_form(sku=sku))

    assert response.status_code == 200
    assert "sku" in response.context["adminform"].form.errors
    assert not Product.objects.exists()
    api = auth_client(staff).post(
        "/api/v1/products/",
        {"name": "Lamp", "sku": sku, "price": "9.99"},
        format="json",
    )
    assert api.status_code == 400


def test_change_page_shows_recent_movements_read_only(admin_client_staff):
    product = ProductFactory(stock=1)
    for _ in range(25):
        stock_adjust(product_id=product.pk, delta=1)
    response = admin_client_staff.get(f"{CHANGELIST}{product.pk}/change/")
    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert len(inline.formset.forms) == 20
    assert not inline.has_add_permission
    assert not inline.has_delete_permission
    assert not inline.has_change_permission


def test_bulk_activate_and_deactivate(admin_client_staff):
    products = ProductFactory.create_batch(3)
    pks = [str(p.pk) for p in products]
    response = admin_client_staff.post(
        CHANGELIST, {"action": "deactivate", "_selected_action": pks}
    )
    assert response.status_code == 302
    assert not Product.objects.filter(is_active=True).exists()
    admin_client_staff.post(CHANGELIST, {"action": "activate", "_selected_action": pks})
    assert Product.objects.filter(is_active=True).count() == 3


def test_csv_export_uses_the_import_format(admin_client_staff):
    category = CategoryFactory(slug="lights")
    ProductFactory(sku="LAMP-1", name="Lamp", price=Decimal("3.50"), category=category)
    ProductFactory(sku="DESK-1", name='Desk, "oak"', category=None, stock=0)
    response = admin_client_staff.post(
        CHANGELIST,
        {
            "action": "export_csv",
            "_selected_action": list(Product.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [r["sku"] for r in rows] == ["DESK-1", "LAMP-1"]
    assert rows[0]["name"] == 'Desk, "oak"'
    assert rows[1]["price"] == "3.50"
    assert rows[1]["category_slug"] == "lights"
    assert rows[1]["is_active"] == "true"


def test_bulk_delete_is_not_offered(admin_client_staff):
    ProductFactory()
    response = admin_client_staff.get(CHANGELIST)
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"activate", "deactivate", "export_csv"} <= set(actions)


def test_deleting_a_product_on_an_order_explains_why_not(admin_client_staff):
    item = OrderItemFactory()
    url = f"{CHANGELIST}{item.product.pk}/delete/"
    response = admin_client_staff.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert b"cannot delete" in response.content.lower()
    assert Product.objects.filter(pk=item.product.pk).exists()


def test_category_admin_and_autocomplete(admin_client_staff):
    CategoryFactory(name="Lights", slug="lights")
    assert admin_client_staff.get("/admin/catalog/category/").status_code == 200
    response = admin_client_staff.get(
        "/admin/autocomplete/",
        {
            "term": "lig",
            "app_label": "catalog",
            "model_name": "product",
            "field_name": "category",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["text"] == "Lights"
    response = admin_client_staff.post(
        "/admin/catalog/category/add/", {"name": "Garden", "slug": "Garden"}
    )
    assert response.status_code == 302
    assert Category.objects.filter(slug="garden").exists()


def test_stock_movement_admin_is_read_only(admin_client_staff):
    product = ProductFactory(stock=3)
    response = admin_client_staff.get(
        f"/admin/catalog/stockmovement/?product__id__exact={product.pk}"
    )
    assert response.status_code == 200
    assert (
        admin_client_staff.get("/admin/catalog/stockmovement/add/").status_code == 403
    )


def test_saving_with_the_rendered_history_inline_works_after_new_movements(
    admin_client_staff,
):
    product = ProductFactory(stock=1, sku="LAMP-1", slug="lamp")
    for _ in range(24):
        stock_adjust(product_id=product.pk, delta=1)
    url = f"{CHANGELIST}{product.pk}/change/"
    shown = admin_client_staff.get(url).context["inline_admin_formsets"][0].formset
    data = product_form(stock_change="2")
    data["movements-TOTAL_FORMS"] = data["movements-INITIAL_FORMS"] = str(
        len(shown.forms)
    )
    for i, form in enumerate(shown.forms):
        data[f"movements-{i}-id"] = str(form.instance.pk)
        data[f"movements-{i}-product"] = str(product.pk)
    # The ledger moves on while the page is open: the latest 20 shift.
    stock_adjust(product_id=product.pk, delta=-1, reason=StockMovement.Reason.ORDER)
    response = admin_client_staff.post(url, data)
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock == 1 + 24 - 1 + 2
    assert product.movements.count() == 27

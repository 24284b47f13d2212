import pytest

from shop.catalog.models import Category
from shop.catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/categories/"


def detail(category) -> str:
    return f"{LIST}{category.pk}/"


def test_categories_are_public(api_client):
    parent = CategoryFactory(name="Tools")
    child = CategoryFactory(name="Hammers", parent=parent)
    body = api_client.get(LIST).json()
    assert body["count"] == 2
    assert body["results"][0] == {
        "id": child.pk,
        "name": "Hammers",
        "slug": child.slug,
        "parent": parent.pk,
        "description": "",
    }
    assert api_client.get(detail(parent)).status_code == 200


def test_category_list_query_count_is_constant(
    api_client, django_assert_max_num_queries
):
    CategoryFactory.create_batch(3)
    with django_assert_max_num_queries(2):
        api_client.get(LIST)
    CategoryFactory.create_batch(30, parent=Category.objects.first())
    with django_assert_max_num_queries(2):
        assert api_client.get(LIST).json()["count"] == 33


@pytest.mark.parametrize(
    "client_name, status",
    [("api_client", 401), ("customer_client", 403), ("staff_client", None)],
)
def test_category_write_permissions(request, client_name, status):
    client = request.getfixturevalue(client_name)
    category = CategoryFactory()
    responses = {
        "post": client.post(LIST, {"name": "Garden"}),
        "put": client.put(detail(category), {"name": "Renamed", "slug": "renamed"}),
        "patch": client.patch(detail(category), {"description": "x"}),
        "delete": client.delete(detail(category)),
    }
    expected = {"post": 201, "put": 200, "patch": 200, "delete": 204}
    for method, response in responses.items():
        assert response.status_code == (status or expected[method]), method


def test_create_category_derives_a_lower_case_slug(staff_client):
    response = staff_client.post(LIST, {"name": "Garden Tools"})
    assert response.status_code == 201
    assert response.json()["slug"] == "garden-tools"
    response = staff_client.post(LIST, {"name": "Garden tools"})
    assert response.status_code == 400
    response = staff_client.post(LIST, {"name": "Other", "slug": "GARDEN-TOOLS"})
    assert response.status_code == 400
    assert "slug" in response.json()["extra"]["fields"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_invalid_category_name_is_400(staff_client, name):
    assert staff_client.post(LIST, {"name": name}).status_code == 400


def test_category_cannot_be_its_own_ancestor(staff_client):
    top = CategoryFactory()
    middle = CategoryFactory(parent=top)
    bottom = CategoryFactory(parent=middle)
    response = staff_client.patch(detail(top), {"parent": bottom.pk})
    assert response.status_code == 400
    assert staff_client.patch(detail(top), {"parent": top.pk}).status_code == 400


def test_deleting_a_category_with_products_is_409(staff_client):
    product = ProductFactory()
    response = staff_client.delete(detail(product.category))
    assert response.status_code == 409
    assert response.json()["code"] == "category_in_use"
    assert Category.objects.filter(pk=product.category_id).exists()


def test_deleting_a_category_with_subcategories_is_409(staff_client):
    child = CategoryFactory(parent=CategoryFactory())
    response = staff_client.delete(detail(child.parent))
    assert response.status_code == 409
    assert response.json()["code"] == "category_in_use"


def test_deleting_a_category_with_inactive_products_is_409(staff_client):
    product = ProductFactory(is_active=False)
    assert staff_client.delete(detail(product.category)).status_code == 409

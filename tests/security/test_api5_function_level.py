"""API5:2023 Broken Function Level Authorization.

Every staff operation, found from the routes the API actually serves (the
same enumeration the OpenAPI schema is built from), refuses anonymous callers
with 401 and customers with 403 (or 404), before touching any data. New
routes are covered as soon as they are wired.
"""

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIRequestFactory, force_authenticate

from shop.catalog.models import Category, Product
from shop.catalog.tests.factories import ProductFactory
from shop.orders.models import Order
from shop.orders.tests.factories import OrderFactory, OrderItemFactory
from shop.users.tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

# Operations SPEC.md gives to staff; each must be found staff-only once routed.
SPEC_STAFF_OPERATIONS = {
    ("GET", "/api/v1/users/"),
    ("GET", "/api/v1/users/{pk}/"),
    ("POST", "/api/v1/categories/"),
    ("PUT", "/api/v1/categories/{pk}/"),
    ("PATCH", "/api/v1/categories/{pk}/"),
    ("DELETE", "/api/v1/categories/{pk}/"),
    ("POST", "/api/v1/products/"),
    ("PUT", "/api/v1/products/{pk}/"),
    ("PATCH", "/api/v1/products/{pk}/"),
    ("DELETE", "/api/v1/products/{pk}/"),
    ("POST", "/api/v1/orders/{pk}/status/"),
    ("GET", "/api/v1/reports/sales/"),
    ("GET", "/api/v1/reports/top-products/"),
    ("GET", "/api/v1/reports/customers/"),
    ("GET", "/api/v1/reports/status/"),
}


def api_operations():
    """(method, path template, view callback) for every served API operation."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    return [
        (method, path, callback)
        for path, _regex, method, callback in generator.endpoints
        if path.startswith("/api/v1/")
    ]


def _permissions_pass(generator, callback, method, path, user) -> bool:
    view = generator.create_view(callback, method)
    request = getattr(APIRequestFactory(), method.lower())(path)
    force_authenticate(request, user=user)
    request = view.initialize_request(request)
    view.request = request
    view.kwargs = {"pk": "1"}
    view.format_kwarg = None
    return all(p.has_permission(request, view) for p in view.get_permissions())


def staff_only_operations():
    """Operations a staff member may call and a customer may not."""
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    staff, customer = StaffFactory(), UserFactory()
    found = []
    for method, path, callback in api_operations():
        staff_ok = _permissions_pass(generator, callback, method, path, staff)
        customer_ok = _permissions_pass(generator, callback, method, path, customer)
        if staff_ok and not customer_ok:
            found.append((method, path))
    staff.delete()
    customer.delete()
    return sorted(found)


@pytest.fixture
def objects(customer):
    product = ProductFactory(stock=10)
    order = OrderFactory(customer=customer)
    OrderItemFactory(order=order, product=product)
    return {
        "categories": product.category.pk,
        "products": product.pk,
        # The caller's own order and own account: still not theirs to manage.
        "orders": order.pk,
        "users": customer.pk,
    }


def _concrete(path: str, objects: dict) -> str:
    resource = path.removeprefix("/api/v1/").split("/", 1)[0]
    return re.sub(r"\{\w+\}", str(objects.get(resource, 1)), path)


def _state():
    return (
        Category.objects.count(),
        Product.objects.count(),
        sorted(Product.objects.values_list("price", "stock", "name")),
        sorted(Order.objects.values_list("status", flat=True)),
    )


def test_spec_staff_operations_are_all_staff_only():
    served = {(m, p) for m, p, _ in api_operations()}
    staff_only = set(staff_only_operations())

    missing = sorted((SPEC_STAFF_OPERATIONS & served) - staff_only)

    assert not missing, f"open to customers: {missing}"
    assert ("GET", "/api/v1/users/") in staff_only


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_every_staff_operation_is_refused(who, customer, objects):
    from shop.conftest import auth_client

    client = auth_client(customer) if who == "customer" else Client()
    allowed = {401} if who == "anonymous" else {403, 404}
    before = _state()
    failures = []

    operations = staff_only_operations()
    for method, template in operations:
        path = _concrete(template, objects)
        body = "" if method in ("GET", "HEAD", "DELETE") else "{}"
        response = client.generic(method, path, body, "application/json")
        if response.status_code not in allowed:
            failures.append((method, path, response.status_code))

    assert operations
    assert not failures, f"{who} reached staff operations: {failures}"
    assert _state() == before


def test_customer_cannot_use_the_admin_site(customer):
    client = Client()
    client.force_login(customer)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_model_permissions_is_refused(db):
    from shop.conftest import auth_client

    bare_staff = UserFactory(is_staff=True)
    client = auth_client(bare_staff)

    assert client.get("/api/v1/users/").status_code == 403
    response = client.post(
        "/api/v1/categories/", {"name": "X", "slug": "x"}, format="json"
    )
    assert response.status_code in (403, 404)
    assert not Category.objects.filter(slug="x").exists()

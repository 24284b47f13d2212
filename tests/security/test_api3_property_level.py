"""API3:2023 Broken Object Property Level Authorization.

Clients cannot write privileged or server-computed fields (mass assignment),
and no response carries password hashes or server secrets.
"""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Sum

from shop.catalog.models import Product, StockMovement
from shop.orders.models import Order
from shop.users.models import User
from tests.security.conftest import API, require_route

pytestmark = pytest.mark.django_db

PRIVILEGE_FIELDS = {
    "is_staff": True,
    "is_superuser": True,
    "is_active": False,
    "role": "admin",
    "groups": [1],
    "user_permissions": [1],
    "date_joined": "2000-01-01T00:00:00Z",
    "last_login": "2000-01-01T00:00:00Z",
}


def test_register_ignores_privilege_fields(api_client):
    response = api_client.post(
        f"{API}/auth/register/",
        {
            "email": "mallory@example.com",
            "password": "a-long-enough-passphrase-42",
            "id": 999999,
            **PRIVILEGE_FIELDS,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    user = User.objects.get(email="mallory@example.com")
    assert response.json()["role"] == "customer"
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.pk != 999999
    assert not user.groups.exists()
    assert not user.user_permissions.exists()


def test_me_update_ignores_privilege_and_identity_fields(customer_client, customer):
    email = customer.email
    response = customer_client.patch(
        f"{API}/users/me/",
        {
            "first_name": "Renamed",
            "email": "takeover@example.com",
            "password": "set-directly-123456",
            "id": customer.pk + 1000,
            **PRIVILEGE_FIELDS,
        },
        format="json",
    )

    customer.refresh_from_db()
    assert response.status_code == 200
    assert customer.first_name == "Renamed"
    # The address only becomes pending until the new mailbox confirms it.
    assert customer.email == email
    assert customer.pending_email == "takeover@example.com"
    assert customer.role == "customer"
    assert (customer.is_staff, customer.is_superuser, customer.is_active) == (
        False,
        False,
        True,
    )
    assert not customer.check_password("set-directly-123456")
    assert response.json()["role"] == "customer"


def test_order_total_status_prices_and_owner_are_computed_by_the_server(
    customer_client, customer, other_customer, product, place_order
):
    response = customer_client.post(
        require_route(f"{API}/orders/"),
        {
            "items": [
                {
                    "product": product.pk,
                    "quantity": 2,
                    "unit_price": "0.01",
                    "line_total": "0.02",
                    "product_name": "Free stuff",
                }
            ],
            "total": "0.01",
            "status": "delivered",
            "customer": other_customer.pk,
            "id": 424242,
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    item = order.items.get()
    assert order.pk != 424242
    assert order.customer == customer
    assert order.status == Order.Status.PENDING
    assert item.unit_price == Decimal("12.50")
    assert item.product_name == product.name
    assert item.line_total == Decimal("25.00")
    assert order.total == Decimal("25.00")
    assert order.created_at.year > 2000


def test_product_stock_changes_only_through_the_ledger(staff_client):
    created = staff_client.post(
        require_route(f"{API}/products/"),
        {
            "name": "Ledger lamp",
            "slug": "ledger-lamp",
            "sku": "LEDGER-1",
            "price": "20.00",
            "stock": 7,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    staff_client.patch(f"{API}/products/{pk}/", {"stock": 3}, format="json")
    staff_client.put(
        f"{API}/products/{pk}/",
        {
            "name": "Ledger lamp",
            "slug": "ledger-lamp",
            "sku": "LEDGER-1",
            "price": "21.00",
            "stock": 11,
        },
        format="json",
    )

    product = Product.objects.get(pk=pk)
    ledger = StockMovement.objects.filter(product=product).aggregate(s=Sum("delta"))
    assert product.stock == (ledger["s"] or 0)


def test_product_server_fields_are_not_writable(staff_client, product):
    require_route(f"{API}/products/{product.pk}/")
    staff_client.patch(
        f"{API}/products/{product.pk}/",
        {"id": product.pk + 1000, "created_at": "2000-01-01T00:00:00Z"},
        format="json",
    )

    product.refresh_from_db()
    assert Product.objects.filter(pk=product.pk).exists()
    assert product.created_at.year > 2000


def _walk(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


SECRET_MARKERS = ("argon2", "pbkdf2", "md5$", "scrypt", "bcrypt")


def test_no_response_carries_password_hashes_or_secrets(
    api_client, customer_client, staff_client, customer, product, place_order
):
    from shop.conftest import auth_client

    customer.set_password("a-known-password-77")
    customer.save()
    # A password change revokes earlier tokens (CHECK_REVOKE_TOKEN).
    customer_client = auth_client(customer)
    paths = [
        (customer_client, f"{API}/users/me/"),
        (staff_client, f"{API}/users/"),
        (staff_client, f"{API}/users/{customer.pk}/"),
        (api_client, f"{API}/products/"),
        (api_client, f"{API}/products/{product.pk}/"),
    ]
    login = api_client.post(
        f"{API}/auth/token/",
        {"email": customer.email, "password": "a-known-password-77"},
        format="json",
    )
    bodies = [login.json()]
    placed = place_order(auth_client(customer), product)
    bodies.append(placed.json())
    order = placed.json()["id"]
    paths += [
        (customer_client, f"{API}/orders/"),
        (customer_client, f"{API}/orders/{order}/"),
        (staff_client, f"{API}/orders/{order}/"),
    ]
    for client, path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        bodies.append(response.json())

    secret = settings.SECRET_KEY
    for body in bodies:
        text = json.dumps(body)
        assert secret not in text
        assert "a-known-password-77" not in text
        for key, value in _walk(body):
            assert "password" not in str(key).lower(), key
            if isinstance(value, str):
                assert not value.lower().startswith(SECRET_MARKERS), (key, value)

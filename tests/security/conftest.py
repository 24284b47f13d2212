"""Helpers for the OWASP API Security Top 10 (2023) regression suite.

Tests go through `require_route` for the routes they guard: a route SPEC.md
promises that does not resolve fails the test (never skips it), so removing
or renaming a route cannot silently switch its security tests off.
"""

from decimal import Decimal

import pytest
from django.urls import Resolver404, resolve

from shop.catalog.tests.factories import ProductFactory

API = "/api/v1"


def require_route(path: str) -> str:
    """Fail the calling test unless `path` resolves; return it otherwise."""
    try:
        resolve(path)
    except Resolver404:
        pytest.fail(f"{path} is not routed (SPEC.md promises it)")
    return path


def error_code(response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


@pytest.fixture
def product(db):
    return ProductFactory(price=Decimal("12.50"), stock=50)


@pytest.fixture
def place_order():
    """Place an order through the API as `client`; returns the response."""

    def place(client, product, quantity=1, headers=None, **fields):
        require_route(f"{API}/orders/")
        body = {"items": [{"product": product.pk, "quantity": quantity}], **fields}
        return client.post(f"{API}/orders/", body, format="json", headers=headers or {})

    return place

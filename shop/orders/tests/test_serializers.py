import json
from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from shop.catalog.tests.factories import ProductFactory
from shop.orders.selectors import order_get
from shop.orders.serializers import OrderPlaceInputSerializer, OrderSerializer
from shop.orders.tests.helpers import place

pytestmark = pytest.mark.django_db


def _generic(order) -> bytes:
    """The order rendered by DRF's own field-by-field path."""
    serializer = OrderSerializer(order)
    data = serializers.Serializer.to_representation(serializer, order)
    data["items"] = [
        serializers.Serializer.to_representation(
            OrderSerializer._declared_fields["items"].child, item
        )
        for item in order.items.all()
    ]
    return JSONRenderer().render(data)


def _fast(order) -> bytes:
    return JSONRenderer().render(OrderSerializer(order).data)


def test_order_renders_as_drf_renders_its_declared_fields(customer):
    a = ProductFactory(price=Decimal("12.50"), stock=10, name="Tea <b>")
    b = ProductFactory(price=Decimal("1234567.05"), stock=10)
    order = place(
        customer, {a: 3, b: 1}, shipping_address="1 Main St\nTown", note="ring ☎"
    )

    for rendered in (order, order_get(order_id=order.pk)):
        assert _fast(rendered) == _generic(rendered)
    body = json.loads(_fast(order))
    assert list(body) == [
        "id",
        "customer",
        "status",
        "total",
        "shipping_address",
        "note",
        "items",
        "created_at",
        "updated_at",
    ]
    assert body["total"] == "1234604.55"
    assert body["created_at"].endswith("Z")


@override_settings(TIME_ZONE="Europe/Berlin")
def test_order_times_follow_the_current_time_zone_as_drf_does(customer):
    order = place(customer, {ProductFactory(stock=5): 1})

    assert _fast(order) == _generic(order)
    assert json.loads(_fast(order))["created_at"][-6:] in ("+01:00", "+02:00")


def test_order_list_renders_each_order_like_the_detail(customer):
    product = ProductFactory(stock=10)
    orders = [place(customer, {product: n}) for n in (1, 2)]

    many = OrderSerializer(orders, many=True).data

    assert [dict(d) for d in many] == [OrderSerializer(o).data for o in orders]


@pytest.mark.parametrize(
    "line",
    [
        {"product": 1, "quantity": "5"},
        {"product": "1", "quantity": 5},
        {"product": 1, "quantity": " 5"},
        {"product": 1, "quantity": True},
        {"product": True, "quantity": 1},
        {"product": 1, "quantity": 5.0},
        {"product": 1.0, "quantity": 5},
        {"product": 1, "quantity": None},
    ],
    ids=[
        "quantity-text",
        "product-text",
        "padded",
        "quantity-bool",
        "product-bool",
        "quantity-float",
        "product-float",
        "null",
    ],
)
def test_product_and_quantity_must_be_json_integers(line):
    payload = OrderPlaceInputSerializer(data={"items": [line]})

    assert not payload.is_valid()
    assert "items" in payload.errors


def test_json_integers_are_accepted():
    payload = OrderPlaceInputSerializer(data={"items": [{"product": 7, "quantity": 5}]})

    assert payload.is_valid(), payload.errors
    assert payload.validated_data["items"] == [{"product": 7, "quantity": 5}]


def test_schema_types_product_and_quantity_as_integers():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    line = schema["components"]["schemas"]["OrderLineInputRequest"]["properties"]
    for name in ("product", "quantity"):
        assert line[name]["type"] == "integer"
        assert line[name]["minimum"] == 1

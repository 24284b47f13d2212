from functools import partial

from django.core.exceptions import ImproperlyConfigured
from django.db.models.manager import BaseManager
from rest_framework import serializers

from shop.core.strict import StrictJSONMixin
from shop.orders.models import Order
from shop.orders.services import MAX_LINE_QUANTITY, MAX_ORDER_LINES, LineRequest

MAX_ID = 2**63 - 1
MAX_TEXT = 2000


# --- Input -------------------------------------------------------------------


class OrderLineInputSerializer(StrictJSONMixin, serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class OrderPlaceInputSerializer(StrictJSONMixin, serializers.Serializer):
    """What a client may send to place an order.

    Prices and totals are not fields: whatever a client sends for them is
    ignored and the server computes both from the catalogue.
    """

    # many=True builds a ListSerializer, which takes max_length; the stubs
    # check the arguments against the child serializer's __init__.
    items = OrderLineInputSerializer(  # type: ignore[call-arg]
        many=True, allow_empty=False, max_length=MAX_ORDER_LINES
    )
    shipping_address = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, default=""
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, default=""
    )

    def validate_items(self, items):
        # Repeated products are merged by the service; the merged quantity
        # must respect the same per-line cap.
        merged: dict[int, int] = {}
        for line in items:
            merged[line["product"]] = merged.get(line["product"], 0) + line["quantity"]
        over = sorted(pid for pid, qty in merged.items() if qty > MAX_LINE_QUANTITY)
        if over:
            raise serializers.ValidationError(
                f"At most {MAX_LINE_QUANTITY} units of one product per order "
                f"(repeated lines are added up); over the cap: {over}."
            )
        return items

    def service_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "lines": [
                LineRequest(product_id=line["product"], quantity=line["quantity"])
                for line in data["items"]
            ],
            "shipping_address": data["shipping_address"],
            "note": data["note"],
        }


class OrderStatusInputSerializer(StrictJSONMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Order.Status.choices)


# --- Output ------------------------------------------------------------------
# Plain serializers, not ModelSerializer: these render on every checkout and
# list page, and explicit fields cost a fraction of the introspection.


# Renders declared read-only fields without binding copies of them. DRF
# deep-copies every declared field (and every nested serializer) for each
# instance before rendering, which costs more than the rendering itself on a
# checkout. The declared fields still define the output and the schema: this
# walks them once per class and calls their own `to_representation`, so the
# JSON is the same (test_serializers compares it with DRF's generic path).
# A comment, not a docstring: drf-spectacular would publish a docstring as
# the description of every output component.
class _ReadOnlyRenderer(serializers.Serializer):
    def to_representation(self, instance):
        plan = type(self).__dict__.get("_render_plan")
        if plan is None:
            plan = type(self)._render_plan = self._plan()
        data = {}
        for name, attr, render in plan:
            value = getattr(instance, attr)
            data[name] = None if value is None else render(value)
        return data

    @classmethod
    def _plan(cls):
        plan = []
        for name, field in cls._declared_fields.items():
            if not field.read_only or "." in (field.source or ""):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name}: plain attributes only"
                )
            render = field.to_representation
            if isinstance(field, serializers.ListSerializer):
                child = field.child.to_representation
                render = partial(_render_many, child)
            plan.append((name, field.source or name, render))
        return plan


def _render_many(render_one, related):
    # As ListSerializer does: a related manager is queried (or read from its
    # prefetch cache), a list is taken as is.
    items = related.all() if isinstance(related, BaseManager) else related
    return [render_one(item) for item in items]


class OrderItemSerializer(_ReadOnlyRenderer):
    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", read_only=True)
    product_name = serializers.CharField(read_only=True)
    product_sku = serializers.CharField(read_only=True)
    unit_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, read_only=True
    )
    quantity = serializers.IntegerField(read_only=True)
    line_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True
    )


class OrderSerializer(_ReadOnlyRenderer):
    id = serializers.IntegerField(read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    status = serializers.ChoiceField(choices=Order.Status.choices, read_only=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    shipping_address = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    # Filled by the order selectors' Prefetch(to_attr=...) and by checkout.
    items = OrderItemSerializer(many=True, read_only=True, source="item_list")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class OrderSummarySerializer(serializers.Serializer):
    order_count = serializers.IntegerField()
    amount_spent = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Cancelled orders excluded."
    )
    counts_by_status = serializers.DictField(child=serializers.IntegerField())
    first_order_at = serializers.DateTimeField(allow_null=True)
    last_order_at = serializers.DateTimeField(allow_null=True)

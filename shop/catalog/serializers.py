"""Input serializers validate; output serializers render.

The product list is the hottest endpoint of the shop, so products are
rendered by one plain function (`product_row`) from `.values()` rows; the
detail and write endpoints feed it the same columns from a model instance, so
both always give the same shape.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from rest_framework import serializers

from shop.catalog.images import product_image_url
from shop.catalog.models import Category, Product, StockMovement
from shop.catalog.selectors import PRODUCT_COLUMNS
from shop.catalog.services import MAX_STOCK
from shop.catalog.validators import (
    SKU_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    sku_normalize,
    sku_validator,
    slug_normalize,
)
from shop.core.strict import NonZeroIntegerField, StrictJSONMixin


def _iso(value, tz) -> str:
    # Same text as DRF's DateTimeField: current time zone, "Z" for UTC.
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def product_row(row: Mapping[str, Any], request=None, tz=None) -> dict[str, Any]:
    """Render one product from its PRODUCT_COLUMNS values.

    `request` makes a locally stored image URL absolute; `tz` (default: the
    current time zone) is looked up once per page by `product_rows`.
    """
    if tz is None:
        tz = timezone.get_current_timezone()
    return {
        "id": row["id"],
        "name": row["name"],
        "slug": row["slug"],
        "sku": row["sku"],
        "description": row["description"],
        "category": row["category_id"],
        "price": format(row["price"], ".2f"),
        "stock": row["stock"],
        "is_active": row["is_active"],
        "image": product_image_url(row["image"], request),
        "created_at": _iso(row["created_at"], tz),
        "updated_at": _iso(row["updated_at"], tz),
    }


def product_rows(rows, request=None) -> list[dict[str, Any]]:
    """Render a page of products (see `product_row`)."""
    tz = timezone.get_current_timezone()
    return [product_row(row, request, tz) for row in rows]


class ProductSerializer(serializers.Serializer):
    """A product as clients see it (read-only)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    sku = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    category = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Category id."
    )
    price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    stock = serializers.IntegerField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    image = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="Absolute URL of the product image; null when it has none.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: Product) -> dict[str, Any]:
        return product_row(
            {c: getattr(instance, c) for c in PRODUCT_COLUMNS},
            self.context.get("request"),
        )


class ProductInputSerializer(StrictJSONMixin, serializers.Serializer):
    """What staff send to create (POST) or change (PUT/PATCH) a product.

    `stock` is the wanted stock level: the difference to the current level is
    recorded as a movement, computed under the row lock. `expected_stock`
    makes that change conditional on the level the client last saw.
    """

    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=SLUG_MAX_LENGTH,
        required=False,
        help_text="Derived from the name when left out on creation.",
    )
    sku = serializers.CharField(max_length=SKU_MAX_LENGTH, validators=[sku_validator])
    description = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    price = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0.01")
    )
    stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        required=False,
        help_text="Wanted stock level; the difference is recorded as a movement.",
    )
    expected_stock = serializers.IntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        required=False,
        write_only=True,
        help_text="Apply `stock` only if the current stock is this value "
        "(409 `stock_changed` otherwise).",
    )
    is_active = serializers.BooleanField(required=False)

    def _others(self):
        queryset = Product.objects.all()
        if self.instance is not None:
            queryset = queryset.exclude(pk=self.instance.pk)
        return queryset

    def validate_sku(self, value: str) -> str:
        value = sku_normalize(value)
        if self._others().filter(sku=value).exists():
            raise serializers.ValidationError("A product with this SKU exists.")
        return value

    def validate_slug(self, value: str) -> str:
        value = slug_normalize(value)
        if self._others().filter(slug=value).exists():
            raise serializers.ValidationError("A product with this slug exists.")
        return value

    def validate(self, attrs):
        if "expected_stock" in attrs and "stock" not in attrs:
            raise serializers.ValidationError(
                {"expected_stock": ["Only meaningful together with stock."]}
            )
        return attrs


class StockAdjustInputSerializer(StrictJSONMixin, serializers.Serializer):
    delta = NonZeroIntegerField(
        min_value=-MAX_STOCK,
        max_value=MAX_STOCK,
        help_text="Units to add (positive) or remove (negative).",
    )
    reason = serializers.ChoiceField(
        choices=[
            StockMovement.Reason.ADJUSTMENT,
            StockMovement.Reason.RESTOCK,
        ],
        default=StockMovement.Reason.ADJUSTMENT,
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True)


class CategorySerializer(StrictJSONMixin, serializers.ModelSerializer):
    """Categories are reference data: read and written with one serializer."""

    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=SLUG_MAX_LENGTH,
        required=False,
        help_text="Derived from the name when left out on creation.",
    )
    # A declared field (DRF's metaclass collects it), named like the stubs'
    # Field.parent attribute.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.all(),
        allow_null=True,
        required=False,
        help_text="Id of the parent category; null for a top-level one.",
    )
    description = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True
    )

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "description"]

    def _others(self):
        queryset = Category.objects.all()
        if self.instance is not None:
            queryset = queryset.exclude(pk=self.instance.pk)
        return queryset

    def validate_slug(self, value: str) -> str:
        value = slug_normalize(value)
        if self._others().filter(slug=value).exists():
            raise serializers.ValidationError("A category with this slug exists.")
        return value

    def validate_parent(self, value: Category | None) -> Category | None:
        # A category may not sit below itself: walk up from the new parent.
        node, seen = value, set()
        while node is not None and self.instance is not None:
            if node.pk == self.instance.pk:
                raise serializers.ValidationError(
                    "A category cannot be placed below itself."
                )
            if node.pk in seen:
                break
            seen.add(node.pk)
            node = node.parent
        return value

    def validate(self, attrs):
        if self.instance is None and not attrs.get("slug"):
            slug = slugify(attrs.get("name", ""))[:200]
            if not slug:
                raise serializers.ValidationError(
                    {"slug": ["Cannot derive a slug from this name; give one."]}
                )
            if self._others().filter(slug=slug).exists():
                raise serializers.ValidationError(
                    {"slug": [f"The derived slug {slug!r} is taken; give one."]}
                )
            attrs["slug"] = slug
        return attrs

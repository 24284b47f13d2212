from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Upper

from shop.catalog.images import product_image_path, validate_product_image
from shop.catalog.validators import (
    SKU_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    sku_normalize,
    sku_validator,
    slug_normalize,
)


class Category(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slug=Lower("slug")),
                name="catalog_category_slug_lower",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Slugs are compared case-insensitively, so they are stored lower-case.
        self.slug = slug_normalize(self.slug)
        super().save(*args, **kwargs)

    def clean(self):
        # Before validate_constraints, which checks the stored (lower) form.
        self.slug = slug_normalize(self.slug)


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
    sku = models.CharField(
        "SKU", max_length=SKU_MAX_LENGTH, unique=True, validators=[sku_validator]
    )
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # Changed only through shop.catalog.services.stock (stock_adjust, stock_set,
    # stock_take_many, ...), which writes a StockMovement for every change.
    stock = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    image = models.ImageField(
        upload_to=product_image_path,
        blank=True,
        validators=[validate_product_image],
        help_text="JPEG, PNG or WebP, at most 5 MB and 4096x4096 pixels.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price__gt=0), name="catalog_product_price_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0),
                name="catalog_product_stock_not_negative",
            ),
            # The stored forms save() and the services produce.
            models.CheckConstraint(
                condition=models.Q(sku=Upper("sku")) & ~models.Q(sku=""),
                name="catalog_product_sku_upper",
            ),
            models.CheckConstraint(
                condition=models.Q(slug=Lower("slug")),
                name="catalog_product_slug_lower",
            ),
        ]
        indexes = [
            models.Index(
                fields=["is_active", "category", "id"], name="product_active_cat"
            ),
            models.Index(
                fields=["is_active", "price", "id"], name="product_active_price"
            ),
            models.Index(
                fields=["is_active", "name", "id"], name="product_active_name"
            ),
            models.Index(
                fields=["is_active", "created_at", "id"], name="product_active_created"
            ),
            # Trigram indexes serve `search` (icontains) on PostgreSQL; the
            # migration creates them only there (see 0003_search_trigram).
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"

    def save(self, *args, **kwargs):
        # SKUs and slugs are unique case-insensitively: store them normalised.
        self.sku = sku_normalize(self.sku)
        self.slug = slug_normalize(self.slug)
        super().save(*args, **kwargs)

    def clean(self):
        # Before validate_constraints, which checks the stored forms.
        self.sku = sku_normalize(self.sku)
        self.slug = slug_normalize(self.slug)


class StockMovement(models.Model):
    """One signed change of a product's stock; stock is the sum of these."""

    class Reason(models.TextChoices):
        INITIAL = "initial", "Initial stock"
        ORDER = "order", "Order placed"
        CANCELLATION = "cancellation", "Order cancelled"
        ADJUSTMENT = "adjustment", "Staff adjustment"
        IMPORT = "import", "Import"
        RESTOCK = "restock", "Restock"

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="movements"
    )
    delta = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.CharField(max_length=255, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_movements",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="movement_product")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(delta=0), name="catalog_movement_delta_nonzero"
            )
        ]

    def __str__(self):
        return f"{self.product_id} {self.delta:+d} ({self.reason})"

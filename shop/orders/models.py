from django.conf import settings
from django.db import models


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    # No index of its own: order_customer_created leads with customer_id.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,
    )
    # Changed only through shop.orders.services.order_transition.
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # Facts of checkout stored with the order, because its lines never change
    # afterwards: sales reports and the admin list read them without touching
    # the items table. Written by order_place and seed_demo.
    units = models.IntegerField(default=0, help_text="Sum of the line quantities.")
    item_count = models.IntegerField(
        "items", default=0, help_text="Number of lines (one per product)."
    )
    shipping_address = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total__gte=0), name="orders_order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "pending",
                        "processing",
                        "shipped",
                        "delivered",
                        "cancelled",
                    ]
                ),
                name="orders_order_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(units__gte=0), name="orders_order_units_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(item_count__gte=0),
                name="orders_order_item_count_not_negative",
            ),
        ]
        # INCLUDE columns (PostgreSQL; plain indexes on SQLite) let the reports
        # and the customer's summary and list run as index-only scans. The id
        # after created_at matches the lists' order (-created_at, -id), so a
        # cursor page is a short index range, never a sort.
        indexes = [
            models.Index(
                fields=["customer", "-created_at", "-id"],
                include=["status", "total"],
                name="order_customer_created_incl",
            ),
            models.Index(
                fields=["created_at", "id"],
                include=["status", "total", "units", "customer"],
                name="order_created_incl",
            ),
            models.Index(fields=["status", "created_at"], name="order_status_created"),
        ]

    def __str__(self):
        return f"Order #{self.pk}"


class OrderItem(models.Model):
    # No single-column indexes: the (order, product) unique constraint and
    # item_product_order lead with these columns.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="order_items",
        db_index=False,
    )
    # Snapshots taken at purchase; later product edits never change them.
    product_name = models.CharField(max_length=200)
    product_sku = models.CharField(max_length=64)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # The order's created_at, copied at checkout (neither ever changes), so
    # top products scan the items of a date range without joining orders.
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="orders_item_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gt=0), name="orders_item_price_positive"
            ),
            models.UniqueConstraint(
                fields=["order", "product"], name="orders_item_one_line_per_product"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "order"], name="item_product_order"),
            models.Index(
                fields=["created_at"],
                include=["product", "quantity", "line_total", "order"],
                name="item_created_incl",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_sku}"


class OrderStatusChange(models.Model):
    """One recorded move of an order through the workflow."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        max_length=20, choices=Order.Status.choices, blank=True
    )
    to_status = models.CharField(max_length=20, choices=Order.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` for order creation and what it produced."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    # Empty while the first request is still being processed.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="orders_idem_user_key")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"

"""Covering indexes for the reports, CHECKs on the stored counts.

The single-column foreign-key indexes on orders.customer_id,
orderitem.order_id and orderitem.product_id go: order_customer_created_incl,
the (order, product) unique constraint and item_product_order lead with
those columns and serve the same look-ups.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_product_image"),
        ("orders", "0002_order_units_item_count_orderitem_created_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="orderitem",
            name="created_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveIndex(
            model_name="order",
            name="order_customer_created",
        ),
        migrations.RemoveIndex(
            model_name="order",
            name="order_created",
        ),
        migrations.AlterField(
            model_name="order",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="orderitem",
            name="order",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="items",
                to="orders.order",
            ),
        ),
        migrations.AlterField(
            model_name="orderitem",
            name="product",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_items",
                to="catalog.product",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["customer", "-created_at"],
                include=("status", "total"),
                name="order_customer_created_incl",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["created_at"],
                include=("status", "total", "units", "customer"),
                name="order_created_incl",
            ),
        ),
        migrations.AddIndex(
            model_name="orderitem",
            index=models.Index(
                fields=["created_at"],
                include=("product", "quantity", "line_total", "order"),
                name="item_created_incl",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("units__gte", 0)),
                name="orders_order_units_not_negative",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("item_count__gte", 0)),
                name="orders_order_item_count_not_negative",
            ),
        ),
    ]

"""Store each order's units and line count, and its created_at on its lines.

Lines never change after checkout, so these are facts, copied once. Existing
rows are filled here; 0003 then makes OrderItem.created_at NOT NULL and adds
the indexes that read them.
"""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderItem = apps.get_model("orders", "OrderItem")
    lines = OrderItem.objects.filter(order=OuterRef("pk")).order_by().values("order")
    Order.objects.update(
        units=Coalesce(Subquery(lines.annotate(n=Sum("quantity")).values("n")), 0),
        item_count=Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")), 0),
    )
    OrderItem.objects.update(
        created_at=Subquery(
            Order.objects.filter(pk=OuterRef("order_id")).values("created_at")
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="units",
            field=models.IntegerField(
                default=0, help_text="Sum of the line quantities."
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="item_count",
            field=models.IntegerField(
                default=0,
                help_text="Number of lines (one per product).",
                verbose_name="items",
            ),
        ),
        migrations.AddField(
            model_name="orderitem",
            name="created_at",
            field=models.DateTimeField(null=True),
        ),
        # Reversing drops the columns, so there is nothing to undo here.
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

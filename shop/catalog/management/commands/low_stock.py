"""List active products that are running out."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop.catalog.selectors import product_low_stock


class Command(BaseCommand):
    help = (
        "List active products with at most --threshold units in stock, emptiest "
        "first (SKU, stock, name, category). The default threshold is the "
        "LOW_STOCK_THRESHOLD setting."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--threshold",
            type=int,
            default=None,
            help="Largest stock that counts as low (default: "
            f"{settings.SHOP_LOW_STOCK_THRESHOLD}).",
        )

    def handle(self, *args, threshold: int | None, **options):
        if threshold is None:
            threshold = settings.SHOP_LOW_STOCK_THRESHOLD
        if threshold < 0:
            raise CommandError("--threshold must be 0 or more.")
        count = 0
        for product in product_low_stock(threshold=threshold).iterator(chunk_size=2000):
            category = product.category.slug if product.category else "-"
            self.stdout.write(
                f"{product.sku}\t{product.stock}\t{product.name}\t{category}"
            )
            count += 1
        message = f"{count} active product(s) with stock <= {threshold}."
        self.stdout.write(self.style.WARNING(message) if count else message)

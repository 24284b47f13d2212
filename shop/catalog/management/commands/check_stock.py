"""Compare every product's stock with the sum of its stock movements."""

from django.core.management.base import BaseCommand, CommandError

from shop.catalog.selectors import product_stock_drift


class Command(BaseCommand):
    help = (
        "Check that every product's stock equals the sum of its stock movements "
        "(one aggregate query). Names each drifting product and exits with "
        "status 1 if any drift; changes nothing."
    )

    def handle(self, *args, **options):
        drifting = list(product_stock_drift())
        for row in drifting:
            self.stderr.write(
                f"{row['sku']} (id {row['id']}): stock {row['stock']}, ledger "
                f"{row['ledger']}, drift {row['stock'] - row['ledger']:+d}"
            )
        if drifting:
            raise CommandError(
                f"{len(drifting)} product(s) drift from their stock ledger."
            )
        self.stdout.write(self.style.SUCCESS("Stock matches the ledger everywhere."))

from django.core.management.base import BaseCommand

from shop.orders.services import idempotency_keys_prune
from shop.orders.services.idempotency import KEY_TTL


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records older than their retention "
        f"({KEY_TTL.total_seconds() / 3600:g} hours). expire_pending_orders "
        "does this too; run this one on its own schedule if you prefer."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count them; delete nothing."
        )

    def handle(self, *args, dry_run, **options):
        count = idempotency_keys_prune(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} expired key(s)."))

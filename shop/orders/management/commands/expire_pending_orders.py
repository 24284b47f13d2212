import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shop.exceptions import ShopError
from shop.orders.models import Order
from shop.orders.services import idempotency_keys_prune, order_transition

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse `30m`, `48h`, `7d`, `1d12h` (units s, m, h, d, w) into a timedelta."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration such as 30m, 48h or 7d")
    try:
        duration = sum(
            (timedelta(**{_UNITS[unit]: int(n)}) for n, unit in parts), timedelta()
        )
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None
    if duration <= timedelta(0):
        raise ValueError("the duration must be positive")
    return duration


class Command(BaseCommand):
    help = (
        "Cancel pending orders older than --older-than and put their stock back, "
        "through the same workflow service as the API and the admin. Also "
        "deletes Idempotency-Key records past their 24-hour retention."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            default="48h",
            help="Age of the pending orders to cancel, e.g. 30m, 48h, 7d "
            "(default 48h).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be cancelled and pruned; change nothing.",
        )

    def handle(self, *args, older_than, dry_run, verbosity, **options):
        try:
            age = parse_duration(older_than)
        except ValueError as exc:
            raise CommandError(f"--older-than: {exc}") from None
        cutoff = timezone.now() - age
        stale = (
            Order.objects.filter(status=Order.Status.PENDING, created_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", "created_at", "total")
        )
        cancelled = skipped = 0
        verb = "Would cancel" if dry_run else "Cancelled"
        for order_id, created_at, total in stale.iterator(chunk_size=1000):
            if not dry_run:
                try:
                    order_transition(
                        order_id=order_id,
                        to_status=Order.Status.CANCELLED,
                        only_from=Order.Status.PENDING,
                        note=f"expired: pending for more than {older_than}",
                    )
                except ShopError as exc:
                    # Moved on (paid, cancelled) since we listed it: leave it.
                    skipped += 1
                    self.stdout.write(f"Skipped order #{order_id}: {exc.message}")
                    continue
            cancelled += 1
            if verbosity >= 1:
                self.stdout.write(
                    f"{verb} order #{order_id} "
                    f"(placed {created_at:%Y-%m-%d %H:%M}, total {total})"
                )
        keys = idempotency_keys_prune(dry_run=dry_run)
        summary = (
            f"{verb} {cancelled} pending order(s) older than {older_than}"
            f"{f', skipped {skipped}' if skipped else ''}; "
            f"{'would delete' if dry_run else 'deleted'} {keys} expired "
            "idempotency key(s)."
        )
        self.stdout.write(self.style.SUCCESS(summary))

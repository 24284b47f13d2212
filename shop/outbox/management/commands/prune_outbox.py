"""Delete old finished outbox events and their delivery records."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop.outbox.services import outbox_prune


class Command(BaseCommand):
    help = (
        "Delete outbox events older than --older-than-days whose deliveries are "
        "all done (published, mails sent), with those delivery records. Events "
        "with a pending or failed delivery are kept. celery beat runs this daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.OUTBOX_RETENTION_DAYS,
            help="Age in days of the events to delete "
            f"(default: OUTBOX_RETENTION_DAYS, {settings.OUTBOX_RETENTION_DAYS}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count them; delete nothing."
        )

    def handle(self, *args, older_than_days, dry_run, **options):
        if older_than_days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        count = outbox_prune(
            older_than=timedelta(days=older_than_days), dry_run=dry_run
        )
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {count} finished event(s) older than {older_than_days} days."
            )
        )

"""Run due outbox deliveries (publication, customer mails) in this process."""

from django.core.management.base import BaseCommand, CommandError

from shop.outbox.handlers import handler_names
from shop.outbox.services import Outcome, deliveries_run_due


class Command(BaseCommand):
    help = (
        "Run every due outbox delivery once, here and now, oldest event first: "
        "event publication to ORDER_EVENTS_TOPIC_ARN / _QUEUE_URL / _WEBHOOK_URL "
        "and customer mails. Workers do this continuously; this one-shot pass is "
        "for operators (no worker running, a backlog to drain). Safe to run "
        "beside workers: a delivery a worker is running is skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--handler",
            choices=handler_names(),
            help="Only this handler's deliveries, e.g. outbox.publish.",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=1000,
            help="Most deliveries run in this pass (default: 1000).",
        )

    def handle(self, *args, handler, limit, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        result = deliveries_run_due(handler=handler, limit=limit)
        retry, failed = result.count(Outcome.RETRY), result.count(Outcome.FAILED)
        summary = (
            f"Ran {result.count(Outcome.DONE)} delivery(ies); {retry} will be "
            f"retried, {failed} failed for good, {result.count(Outcome.HELD)} held "
            "back behind an earlier event."
        )
        if retry or failed:
            raise CommandError(summary + " See Outbox > Deliveries in the admin.")
        self.stdout.write(self.style.SUCCESS(summary))

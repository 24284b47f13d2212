"""Publish order events from the transactional outbox to SNS, SQS or a webhook."""

import signal
import time

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from shop.outbox.publishers import publisher_from_settings
from shop.outbox.relay import events_relay


class Command(BaseCommand):
    help = (
        "Publish unpublished outbox events in order to the configured targets "
        "(ORDER_EVENTS_TOPIC_ARN, ORDER_EVENTS_QUEUE_URL, ORDER_EVENTS_WEBHOOK_URL). "
        "Runs one pass by default; --follow keeps running as a worker. Several "
        "relays may run at once on PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--follow",
            action="store_true",
            help="Keep running: publish new events as they arrive until SIGTERM.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=100,
            help="Events claimed per transaction (default: 100).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to sleep with --follow when no event is due (default: 1).",
        )

    def handle(self, *args, follow, batch_size, interval, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if interval < 0:
            raise CommandError("--interval must not be negative.")
        try:
            publisher = publisher_from_settings()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if follow:
            self._follow(publisher, batch_size, interval)
        else:
            self._once(publisher, batch_size)

    def _once(self, publisher, batch_size):
        published = failed = held_back = 0
        # Drain everything due now, batch by batch, then stop.
        while True:
            result = events_relay(publisher=publisher, batch_size=batch_size)
            published += result.published
            failed += result.failed
            held_back += result.held_back
            if result.published == 0 or result.selected < batch_size:
                break
        summary = (
            f"Published {published} event(s); {failed} failed, "
            f"{held_back} held back behind an earlier event."
        )
        if failed:
            raise CommandError(summary + " Failed events are retried with back-off.")
        self.stdout.write(self.style.SUCCESS(summary))

    def _follow(self, publisher, batch_size, interval):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Relaying events every {interval:g}s; SIGTERM to stop.")
        while not stopping:
            close_old_connections()
            try:
                result = events_relay(publisher=publisher, batch_size=batch_size)
            except DatabaseError as exc:
                # The database restarting must not kill the worker.
                self.stderr.write(f"Database error, retrying: {exc}")
                result = None
            if result and (result.published or result.failed or result.held_back):
                self.stdout.write(
                    f"Published {result.published}, failed {result.failed}, "
                    f"held back {result.held_back}."
                )
            if result is None or result.selected < batch_size:
                time.sleep(interval)
        self.stdout.write("Relay stopped.")

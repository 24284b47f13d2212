import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it records.

    Each handler registered for its type (customer mails, publication) gets a
    `Delivery` row in that same transaction; workers run the deliveries.
    `published_at` is stamped when the publication delivery succeeds.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table predates the app (it began in core); keeping its name
        # made the move a state-only migration.
        db_table = "core_outboxevent"
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(published_at__isnull=True),
                name="outbox_unpublished",
            ),
            # "Is there an earlier unpublished event of this order?"
            models.Index(
                fields=["aggregate_type", "aggregate_id", "created_at"],
                name="outbox_aggregate",
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.aggregate_type}:{self.aggregate_id} ({self.id})"

    @property
    def aggregate_key(self) -> tuple[str, str]:
        return (self.aggregate_type, self.aggregate_id)

    def envelope(self) -> dict:
        """The message body every target receives."""
        return {
            "id": str(self.id),
            "type": self.type,
            "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id,
            "created_at": self.created_at.isoformat(),
            "payload": self.payload,
        }


class Delivery(models.Model):
    """One handler's work for one event (a mail, a publication), run by workers.

    Recorded with its event, so it exists exactly when the change committed.
    A worker runs it holding its row lock and marks it done in the commit
    that follows the side effect; (event, handler) is unique, so a side
    effect has one record at most.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="deliveries"
    )
    handler = models.CharField(max_length=100)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "handler"], name="outbox_delivery_once"
            ),
        ]
        indexes = [
            # The sweep's scan: only the (small) pending set is indexed.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_delivery_due",
            ),
            # The open set (pending or failed), small next to the done rows:
            # the admin's state filter and the metrics' backlog GROUP BY
            # (index-only on PostgreSQL).
            models.Index(
                fields=["state", "handler", "created_at"],
                condition=models.Q(state__in=["pending", "failed"]),
                name="outbox_delivery_open",
            ),
        ]

    def __str__(self):
        return f"{self.handler} for {self.event_id} ({self.state})"

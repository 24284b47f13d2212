import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it records.

    `relay_events` publishes unpublished rows in (created_at, id) order and
    stamps `published_at`; delivery is at-least-once, so consumers
    de-duplicate by `id`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    aggregate_type = models.CharField(max_length=50)
    aggregate_id = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table predates the app (it began in core); keeping its name
        # made the move a state-only migration.
        db_table = "core_outboxevent"
        ordering = ["created_at", "id"]
        indexes = [
            # The relay's scan: only the (small) unpublished tail is indexed.
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

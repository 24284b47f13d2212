import uuid

import django.core.serializers.json
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """Adopt the outbox table `core.0001_initial` created (state only)."""

    initial = True

    dependencies = [
        ("core", "0002_move_outboxevent_to_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxEvent",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("type", models.CharField(max_length=100)),
                        ("aggregate_type", models.CharField(max_length=50)),
                        ("aggregate_id", models.CharField(max_length=64)),
                        ("payload", models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("published_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "core_outboxevent",
                        "ordering": ["created_at", "id"],
                        "indexes": [
                            models.Index(condition=models.Q(("published_at__isnull", True)), fields=["created_at", "id"], name="outbox_unpublished"),
                            models.Index(fields=["aggregate_type", "aggregate_id", "created_at"], name="outbox_aggregate"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

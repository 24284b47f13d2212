import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from shop.outbox.models import OutboxEvent


def _fully_migrated() -> bool:
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


@pytest.mark.django_db(transaction=True)
def test_outbox_migrations_reverse_to_zero_and_back():
    call_command("migrate", "outbox", "zero", verbosity=0)
    call_command("migrate", verbosity=0)

    assert _fully_migrated()
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_core_migrations_reverse_to_zero_and_back():
    # The outbox table began in core: unapplying core drops it, and the
    # outbox app (which depends on core's state-only move) goes first.
    call_command("migrate", "core", "zero", verbosity=0)
    assert OutboxEvent._meta.db_table not in connection.introspection.table_names()

    call_command("migrate", verbosity=0)

    assert _fully_migrated()
    assert OutboxEvent._meta.db_table in connection.introspection.table_names()

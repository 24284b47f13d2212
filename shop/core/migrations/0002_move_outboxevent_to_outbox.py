from django.db import migrations


class Migration(migrations.Migration):
    """The outbox moved to its own app; its table stays where it is.

    State only: `outbox.0001_initial` adopts the table under the same name.
    """

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboxEvent")],
            database_operations=[],
        ),
    ]

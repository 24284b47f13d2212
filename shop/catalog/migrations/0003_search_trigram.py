"""Index-backed product search on PostgreSQL; nothing to do on SQLite.

`search` filters with `icontains`, which PostgreSQL runs as
`UPPER(col::text) LIKE UPPER('%term%')`. A GIN trigram index on exactly that
expression lets the planner answer it (and the OR over the three columns, as
a BitmapOr) without scanning the table. The indexes are not declared in
`Product.Meta` because SQLite has neither GIN nor pg_trgm.
"""

from django.db import migrations

TRIGRAM_INDEXES = {
    "product_name_trgm": "name",
    "product_sku_trgm": "sku",
    "product_description_trgm": "description",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
    # create it without superuser rights.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON catalog_product "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: other tables may use it, and it is harmless.


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]

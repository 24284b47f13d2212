"""Bulk loading of plain rows: COPY on PostgreSQL, batched inserts on SQLite.

Columns come from the models' ``_meta``, so a new field is loaded (or fails
loudly when it has no default) without anybody keeping a column list.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from django.db import connection, models

from shop.core.db import field_column

# Rows per executemany() on SQLite.
SQLITE_BATCH = 5000


def _insert_sql(table: str, columns: list[str]) -> str:
    # Only names from the models' _meta are formatted in; values are parameters.
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608


class _Columns:
    """A model's columns, in order, and what a row leaves out becomes."""

    def __init__(self, model: type[models.Model], *, with_pk: bool):
        fields = [
            f for f in model._meta.concrete_fields if with_pk or not f.primary_key
        ]
        self.table = model._meta.db_table
        self.names = [field_column(f) for f in fields]
        self.keys = [f.attname for f in fields]
        self.defaults = {}
        for f in fields:
            default = f.get_default()
            if default is None and not f.null:
                default = _REQUIRED
            self.defaults[f.attname] = default

    def values(self, row: dict) -> list:
        out = []
        for key in self.keys:
            value = row.get(key, self.defaults[key])
            if value is _REQUIRED:
                raise KeyError(f"{self.table}.{key} needs a value")
            out.append(value)
        return out


_REQUIRED = object()


class BulkLoader:
    """Writes rows given as {attname: value} dicts into a model's table."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self._columns: dict[tuple, _Columns] = {}

    def when(self, epoch: float):
        """A stored timestamp: aware for psycopg, naive UTC text for SQLite."""
        value = dt.datetime.fromtimestamp(epoch, dt.UTC)
        if self.postgres:
            return value
        return value.replace(tzinfo=None).isoformat(" ")

    def write(
        self, model: type[models.Model], rows: list[dict], *, with_pk: bool = False
    ) -> None:
        if not rows:
            return
        key = (model, with_pk)
        if key not in self._columns:
            self._columns[key] = _Columns(model, with_pk=with_pk)
        columns = self._columns[key]
        with connection.cursor() as cursor:
            if self.postgres:
                quote = connection.ops.quote_name
                names = ", ".join(quote(c) for c in columns.names)
                statement = f"COPY {quote(columns.table)} ({names}) FROM STDIN"
                with cursor.cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(columns.values(row))
            else:
                sql = _insert_sql(columns.table, columns.names)
                for start in range(0, len(rows), SQLITE_BATCH):
                    batch = rows[start : start + SQLITE_BATCH]
                    cursor.executemany(sql, [columns.values(r) for r in batch])

    @contextmanager
    def indexes_built_after(
        self,
        tables: Iterable[type[models.Model]],
        *,
        enabled: bool,
        say: Callable[[str], None],
    ):
        """Drop the tables' secondary indexes now and rebuild them on exit.

        Only on PostgreSQL, only for tables that are empty to begin with (an
        append to a big table would pay for a full rebuild), and inside the
        caller's transaction, so a failure leaves every index as it was.
        """
        if not (enabled and self.postgres):
            yield
            return
        restore: list[str] = []
        with connection.cursor() as cursor:
            for model in tables:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
                if cursor.fetchone()[0]:
                    continue
                restore += self._drop_secondary_indexes(cursor, model._meta.db_table)
        yield
        say(f"Building {len(restore)} indexes ...")
        started = time.monotonic()
        with connection.cursor() as cursor:
            for statement in restore:
                cursor.execute(statement)
        say(f"  indexes built in {time.monotonic() - started:.1f} s")

    @staticmethod
    def _drop_secondary_indexes(cursor, table: str) -> list[str]:
        """Drop every index but the primary key; return the SQL that rebuilds them."""
        quote = connection.ops.quote_name
        restore = []
        # Unique constraints own their index: drop and re-add the constraint.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        owned = set()
        for name, definition in cursor.fetchall():
            owned.add(name)
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            restore.append(
                f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
            )
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
            [table],
        )
        for name, definition in cursor.fetchall():
            if name in owned:
                continue
            cursor.execute(f"DROP INDEX {quote(name)}")
            restore.append(definition)
        return restore

    def analyze(self, tables: Iterable[type[models.Model]]) -> None:
        """Fresh planner statistics: a big load leaves them empty or stale."""
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(
                    f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
                )

    def vacuum(self, tables: Iterable[type[models.Model]]) -> None:
        """Set the visibility map so the reports' index-only scans stay so.

        Freshly loaded pages are not yet all-visible, and an index-only scan
        visits the heap for every row on such a page until (auto)vacuum has
        run. VACUUM cannot run inside a transaction: call after the commit.
        """
        if not self.postgres:
            return
        with connection.cursor() as cursor:
            for model in tables:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"VACUUM (ANALYZE) {table}")

    def reserve_ids(self, model: type[models.Model], count: int) -> int:
        """First of `count` consecutive primary keys nobody else will use."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%(t)s, 'id'), "
                    "nextval(pg_get_serial_sequence(%(t)s, 'id')) + %(n)s - 1)",
                    {"t": table, "n": count},
                )
                (last,) = cursor.fetchone()
                return last - count + 1
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608
            (highest,) = cursor.fetchone()
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            return max(highest, seq[0] if seq else 0) + 1

"""The hottest paths' database work without the ORM's per-call costs:
INSERTs without compiling, timestamps loaded by the driver's C code."""

from collections.abc import Sequence
from functools import cache, lru_cache

from django.db import connections, models
from django.db.models import AutoField, BigAutoField, SmallAutoField

_AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


def field_column(field: models.Field) -> str:
    """A concrete field's column name (`Field.column` is None only for
    fields without one, such as many-to-many)."""
    if field.column is None:
        raise ValueError(f"{field!r} has no database column")
    return field.column


def instances_insert(objs: Sequence[models.Model], *, using: str = "default") -> None:
    """INSERT unsaved instances of one model in one statement and set their pks.

    What `bulk_create` does for models without signals or multi-table
    inheritance, the same values included: every field's `pre_save` runs
    (auto_now / auto_now_add stamps land on the instances) and every value goes
    through the field's `get_db_prep_save`. What it skips is rebuilding and
    compiling the query on every call: checkout inserts five kinds of rows per
    order and compiling them cost more CPU than the database spends running
    them. The statement text is cached per model and row count; values are
    always parameters.
    """
    if not objs:
        return
    connection = connections[using]
    model = type(objs[0])
    fields, auto = _insert_fields(model)
    if auto is not None and not connection.features.can_return_rows_from_bulk_insert:
        model._base_manager.using(using).bulk_create(objs)
        return
    sql = _insert_sql(model, len(objs), connection.vendor, using)
    params = []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, True)
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if auto is not None:
            # Rows come back in VALUES order, as bulk_create relies on too.
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, auto.attname, pk)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


@cache
def _insert_fields(model) -> tuple[tuple[models.Field, ...], models.Field | None]:
    meta = model._meta
    if meta.parents:
        raise ValueError(f"{meta.label}: multi-table inheritance is not supported")
    auto = meta.pk if isinstance(meta.pk, _AUTO_FIELDS) else None
    fields = tuple(
        f
        for f in meta.local_concrete_fields
        if f is not auto and not getattr(f, "generated", False)
    )
    return fields, auto


@lru_cache(maxsize=256)
def _insert_sql(model, rows: int, vendor: str, using: str) -> str:
    fields, auto = _insert_fields(model)
    qn = connections[using].ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted identifiers from the model's meta are formatted in.
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(field_column(f)) for f in fields)
    values = ", ".join([row] * rows)
    sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608
    if auto is not None:
        sql += f" RETURNING {qn(field_column(auto))}"
    return sql


class InsertBatch:
    """Unsaved instances of several models, inserted together by `run()`.

    On PostgreSQL every group becomes one data-modifying CTE of a single
    statement (one round trip for the lot); elsewhere each group is one
    `instances_insert`, in the order added. Add parents before children:
    foreign keys are checked at the end of the statement, so a child may
    refer to a parent of the same batch by a pk it already has (a UUID made
    in Python), but not to one the database has yet to number.
    """

    def __init__(self, *, using: str = "default") -> None:
        self.using = using
        self.groups: list[list[models.Model]] = []

    def add(self, objs: Sequence[models.Model]) -> None:
        objs = list(objs)
        if objs:
            self.groups.append(objs)

    def run(self) -> None:
        groups, self.groups = self.groups, []
        connection = connections[self.using]
        if connection.vendor != "postgresql" or len(groups) < 2:
            for objs in groups:
                instances_insert(objs, using=self.using)
            return
        statements, returning, params = [], [], []
        for number, objs in enumerate(groups):
            model = type(objs[0])
            fields, auto = _insert_fields(model)
            insert = _insert_sql(model, len(objs), "postgresql", self.using)
            statements.append(f"t{number} AS ({insert})")
            if auto is not None:
                column = connection.ops.quote_name(field_column(auto))
                returning.append(f"SELECT {number}, {column} FROM t{number}")  # noqa: S608
            for obj in objs:
                for field in fields:
                    value = field.pre_save(obj, True)
                    params.append(field.get_db_prep_save(value, connection))
        sql = "WITH " + ", ".join(statements) + " "
        sql += " UNION ALL ".join(returning) if returning else "SELECT 1"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if returning else []
        pks: dict[int, list] = {}
        for number, pk in rows:
            pks.setdefault(number, []).append(pk)
        for number, objs in enumerate(groups):
            _, auto = _insert_fields(type(objs[0]))
            if auto is not None:
                for obj, pk in zip(objs, pks.get(number, []), strict=True):
                    setattr(obj, auto.attname, pk)
            for obj in objs:
                obj._state.adding = False
                obj._state.db = self.using


def driver_timestamps(cursor) -> None:
    """Load `timestamptz` columns on this PostgreSQL cursor with psycopg's own
    loader (C code with psycopg[binary]) instead of Django's.

    Django registers, per connection, a subclass of psycopg's pure-Python
    loader that only swaps in the connection's time zone: on a page of 20
    products (40 timestamps) it costs ~0.1 ms, a tenth of the request. The
    driver's loader gives the same instants, aware, in the session's time
    zone (Django sets it); callers render them in the current time zone.
    `cursor` is Django's cursor wrapper; other databases are left alone.
    """
    if cursor.db.vendor != "postgresql":
        return
    cursor.cursor.adapters.register_loader(*_timestamptz_loader())


@cache
def _timestamptz_loader() -> tuple[int, type]:
    """(oid, psycopg's default text loader of timestamptz)."""
    import psycopg
    from psycopg.pq import Format

    oid = psycopg.adapters.types["timestamptz"].oid
    loader = psycopg.adapters.get_loader(oid, Format.TEXT)
    if loader is None:  # pragma: no cover - psycopg always has one
        raise LookupError("psycopg has no timestamptz loader")
    return oid, loader

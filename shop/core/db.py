"""INSERTs for the hottest write paths without the ORM's per-call compiling."""

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

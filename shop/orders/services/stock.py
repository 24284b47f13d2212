"""Stock changes made by orders, on product rows the caller has locked."""

from collections.abc import Collection

from django.db import connection

from shop.catalog.models import Product

_TABLE = Product._meta.db_table


def products_lock(*, ids: Collection[int]) -> dict[int, Product]:
    """Lock the products' rows in pk order; return them by pk (missing: absent).

    Call inside the transaction that changes their stock. In pk order so
    concurrent checkouts with overlapping baskets queue behind each other
    instead of deadlocking. Plain SQL for the same reason as below: the ORM's
    SELECT ... FOR UPDATE costs more CPU to build than to run. Instances come
    from `raw()`, so values are converted exactly as the ORM converts them.
    """
    placeholders = ", ".join(["%s"] * len(ids))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    query = (
        "SELECT id, name, sku, price, stock, is_active "  # noqa: S608
        f"FROM {_TABLE} WHERE id IN ({placeholders}) ORDER BY id{lock}"
    )
    return {p.pk: p for p in Product.objects.raw(query, list(ids))}


def stock_shift_locked(*, deltas: dict[int, int]) -> None:
    """Add a signed delta to each product's stock in one UPDATE.

    The caller holds the rows' locks (select_for_update in pk order) and has
    checked the result stays >= 0; the table's CHECK is the backstop. Plain
    SQL because this runs on every checkout and the ORM's Case/When costs
    more CPU to compile than the database spends running it; only
    placeholders are formatted into the text, values go as parameters.
    """
    ids = list(deltas)
    cases = " ".join(["WHEN %s THEN %s"] * len(ids))
    placeholders = ", ".join(["%s"] * len(ids))
    params = [v for pid in ids for v in (pid, deltas[pid])] + ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET stock = stock + CASE id {cases} END "  # noqa: S608
            f"WHERE id IN ({placeholders})",
            params,
        )
        changed = cursor.rowcount
    if changed != len(ids):
        raise RuntimeError("stock rows vanished while locked")

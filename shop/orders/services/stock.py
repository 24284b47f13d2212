"""Stock changes made by orders, on product rows the caller has locked."""

from django.db.models import Case, F, PositiveIntegerField, When

from shop.catalog.models import Product


def stock_shift_locked(*, deltas: dict[int, int]) -> None:
    """Add a signed delta to each product's stock in one UPDATE.

    The caller holds the rows' locks (select_for_update in pk order) and has
    checked the result stays >= 0; the table's CHECK is the backstop.
    """
    changed = Product.objects.filter(pk__in=deltas).update(
        stock=Case(
            *(When(pk=pid, then=F("stock") + delta) for pid, delta in deltas.items()),
            default=F("stock"),
            output_field=PositiveIntegerField(),
        )
    )
    if changed != len(deltas):
        raise RuntimeError("stock rows vanished while locked")

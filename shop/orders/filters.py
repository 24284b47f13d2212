import django_filters

from shop.core.filtering import DateTimeFilter, IdFilter, StrictFilterSet
from shop.orders.models import Order
from shop.orders.permissions import user_sees_all_orders


class OrderFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    created_after = DateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Orders created at or after this time (ISO 8601 date or datetime).",
    )
    created_before = DateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="Orders created before this time (ISO 8601 date or datetime).",
    )
    customer = IdFilter(
        method="by_customer",
        help_text="Customer id; staff only, ignored for everyone else.",
    )

    class Meta:
        model = Order
        fields = ["status", "created_after", "created_before", "customer"]

    def by_customer(self, queryset, name, value):
        # Customers only ever see their own orders; the selector has already
        # scoped them, and their `customer` filter must not matter.
        if self.request is None or not user_sees_all_orders(self.request.user):
            return queryset
        return queryset.filter(customer_id=int(value))

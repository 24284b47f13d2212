import django_filters
from django.db.models import Q

from shop.core.filtering import StrictFilterSet, TextFilter
from shop.users.models import User

_ROLE_FILTERS = {
    User.Role.ADMIN: Q(is_superuser=True),
    User.Role.STAFF: Q(is_staff=True, is_superuser=False),
    User.Role.CUSTOMER: Q(is_staff=False, is_superuser=False),
}


class UserFilter(StrictFilterSet):
    role = django_filters.ChoiceFilter(choices=User.Role.choices, method="by_role")
    search = TextFilter(method="by_search", max_length=100)

    class Meta:
        model = User
        fields = ["role", "search"]

    def by_role(self, queryset, name, value):
        return queryset.filter(_ROLE_FILTERS[value])

    def by_search(self, queryset, name, value):
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(username__icontains=value)
        )

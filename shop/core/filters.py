"""django-filter's DRF backend, minus the form when no filter is asked for."""

from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend


def _filters_named(query_params, filterset_class: type[FilterSet]) -> bool:
    # A prefix match, because range widgets read `<name>_min`, `<name>_after`
    # and so on; a false positive only costs the usual form.
    return any(
        param.startswith(name)
        for param in query_params
        for name in filterset_class.base_filters
    )


def _skippable(filterset_class: type[FilterSet]) -> bool:
    """Whether an empty query leaves the filterset with nothing to do."""
    if filterset_class.filter_queryset is not FilterSet.filter_queryset:
        return False
    return not any(
        f.extra.get("required") for f in filterset_class.base_filters.values()
    )


class QueryFilterBackend(DjangoFilterBackend):
    """`DjangoFilterBackend` that returns the queryset untouched when the query
    string names none of the filterset's parameters.

    Building and validating the filter form (a deep copy of every field, one
    clean per field) costs more CPU than the page query of a product list, and
    with no parameter present every filter skips its empty value anyway: the
    rows are the same and there is no error to report. With any filter
    parameter present, the form runs as before, so values and errors are
    unchanged.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if _skippable(filterset_class) and not _filters_named(
            request.query_params, filterset_class
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)

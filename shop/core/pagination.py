from urllib.parse import urlencode

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from shop.core.strict import query_int, repeated_params

# Larger than any table; bounds the digits a client may send.
MAX_QUERY_INT = 2**63 - 1


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` pages: 20 rows by default, never more than 100.

    A `limit` or `offset` that is not a whole number (or a limit of 0) is a
    400, as the schema says, instead of DRF's silent fallback to the
    defaults; a limit above 100 is served as 100, as the schema says too.
    """

    default_limit = 20
    max_limit = 100

    def get_next_link(self):
        if self.request.META.get("QUERY_STRING"):
            return super().get_next_link()
        # The first page asked for without parameters, by far the most common
        # list request: DRF's link, without parsing and re-encoding a query.
        offset = self.offset + self.limit
        if offset >= self.count:
            return None
        params = {self.limit_query_param: self.limit, self.offset_query_param: offset}
        return (
            f"{self.request.build_absolute_uri()}?{urlencode(sorted(params.items()))}"
        )

    def _param(self, request, name: str, *, minimum: int, default: int) -> int:
        params = request.query_params
        if name not in params:
            return default
        if repeated_params(params, [name]):
            raise ValidationError({name: ["Give this parameter once."]})
        try:
            return query_int(params[name], minimum=minimum, maximum=MAX_QUERY_INT)
        except ValueError:
            raise ValidationError(
                {name: [f"A whole number of at least {minimum} is required."]}
            ) from None

    def get_limit(self, request):
        limit = self._param(
            request, self.limit_query_param, minimum=1, default=self.default_limit
        )
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return self._param(request, self.offset_query_param, minimum=0, default=0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_QUERY_INT)
                parameter["description"] = (
                    f"Rows per page (default {self.default_limit}); values above "
                    f"{self.max_limit} are served as {self.max_limit}."
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0, maximum=MAX_QUERY_INT)
        return parameters

from urllib.parse import urlencode

from rest_framework import exceptions, pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from shop.core.strict import query_int, repeated_params

# Larger than any table; bounds the digits a client may send.
MAX_QUERY_INT = 2**63 - 1


def query_param_int(request, name: str, *, minimum: int, default: int) -> int:
    """A whole-number query parameter given at most once, or a 400."""
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

    def get_limit(self, request):
        limit = query_param_int(
            request, self.limit_query_param, minimum=1, default=self.default_limit
        )
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return query_param_int(request, self.offset_query_param, minimum=0, default=0)

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


class _CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

    def get_page_size(self, request):
        # Strict like limit/offset pages: a bad limit is a 400, not ignored.
        size = query_param_int(
            request, self.page_size_query_param, minimum=1, default=self.page_size
        )
        return min(size, self.max_page_size)

    def decode_cursor(self, request):
        # A cursor the client mangled is bad input (400), not a missing page.
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from None


class LimitOffsetOrCursorPagination(LimitOffsetPagination):
    """`limit`/`offset` pages, or opaque cursor pages on request.

    Cursor mode starts with `?paginate=cursor` and goes on with the `cursor`
    of the `next`/`previous` links. A cursor page seeks straight to its rows
    through an index on `cursor_ordering`, so page 50,000 costs what page 1
    does, where an offset reads and drops every row before it. The envelope
    is the same; `count` is null in cursor mode (counting would read every
    row the cursor skips).
    """

    cursor_ordering: tuple[str, ...] = ()
    cursor_query_param = "cursor"
    mode_query_param = "paginate"

    def _cursor_requested(self, request) -> bool:
        params = request.query_params
        for name in (self.mode_query_param, self.cursor_query_param):
            if repeated_params(params, [name]):
                raise ValidationError({name: ["Give this parameter once."]})
        mode = params.get(self.mode_query_param)
        if mode is not None and mode not in ("offset", "cursor"):
            raise ValidationError({self.mode_query_param: ['"offset" or "cursor".']})
        return self.cursor_query_param in params or mode == "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor = None
        if self.cursor_ordering and self._cursor_requested(request):
            self.cursor = _CursorPagination()
            self.cursor.ordering = self.cursor_ordering
            self.cursor.cursor_query_param = self.cursor_query_param
            return self.cursor.paginate_queryset(queryset, request, view)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.cursor is None:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": None,
                "next": self.cursor.get_next_link(),
                "previous": self.cursor.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": "Total rows matching the filters with limit/offset; "
            "null in cursor mode.",
        }
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.offset_query_param:
                parameter["description"] = (
                    "Rows to skip (limit/offset mode). Deep offsets read every "
                    "skipped row; prefer cursor pages for deep lists."
                )
        return [
            *parameters,
            {
                "name": self.mode_query_param,
                "required": False,
                "in": "query",
                "description": "`cursor` starts cursor pagination: pages follow "
                "`next`/`previous` links carrying a `cursor`, and `count` is null. "
                "Omitted: limit/offset pagination.",
                "schema": {"type": "string", "enum": ["offset", "cursor"]},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a cursor page's `next` or "
                "`previous` link (implies cursor mode; `offset` is then ignored). "
                "A malformed cursor is 400.",
                "schema": {"type": "string"},
            },
        ]

from rest_framework import exceptions, pagination
from rest_framework.response import Response


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` pages: 20 rows by default, never more than 100."""

    default_limit = 20
    max_limit = 100


class _CursorPagination(pagination.CursorPagination):
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100

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
        return (
            self.cursor_query_param in params
            or params.get(self.mode_query_param) == "cursor"
        )

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

from urllib.parse import urlencode

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` pages: 20 rows by default, never more than 100."""

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

from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` pages: 20 rows by default, never more than 100."""

    default_limit = 20
    max_limit = 100

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Every list is paged: 50 a page by default, up to 200 with ?page_size=."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

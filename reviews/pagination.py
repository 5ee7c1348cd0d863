from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework import pagination, serializers
from rest_framework.request import Request

from reviews.bounded import OutOfBounds, read_integer

# Far past any list's last page, short enough that reading it costs nothing.
_MAX_QUERY_NUMBER = 10**9


class PageNumberPagination(pagination.PageNumberPagination):
    """Every list is paged: 50 a page by default, up to 200 with ?page_size=.

    A page or page size that is not a whole number from 1 to 10**9 is a 400 naming
    the parameter (DRF silently ignores a bad page_size and answers 404 for a bad page);
    a larger page size is served as 200, and a page past the last one is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        size = _query_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Paginator) -> Any:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return _query_number(request, self.page_query_param) or 1


def _query_number(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        return read_integer(text, minimum=1, maximum=_MAX_QUERY_NUMBER)
    except OutOfBounds as error:
        raise serializers.ValidationError({name: [str(error)]}) from None

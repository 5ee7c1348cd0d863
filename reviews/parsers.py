"""Request parsers that answer every malformed body with a 400."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from reviews.bounded import OutOfBounds, loads_json


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, bounded: nesting depth, numbers too large to store, and a clear 400 for each.

    DRF's own lets a deeply nested document escape as a RecursionError (a 500).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(f"The JSON is not valid {encoding} text.") from None
        try:
            return loads_json(text)
        except OutOfBounds as error:
            raise ParseError(str(error)) from None

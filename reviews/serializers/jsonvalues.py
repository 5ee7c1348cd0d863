"""Checks shared by the free-form JSON fields (a version's generation metadata, a comment's annotation)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def reject_null_characters(value: Any) -> None:
    """PostgreSQL's jsonb cannot hold the character U+0000 in any key or string."""
    if any("\x00" in text for text in _strings(value)):
        raise serializers.ValidationError("Null characters (\\u0000) are not allowed, in keys or in values.")

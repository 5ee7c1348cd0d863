"""Fields shared by the serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class WholeNumberField(serializers.IntegerField):
    """DRF's IntegerField, reading only ASCII digits.

    Python's ``int()`` reads any script's digits ("١٢" is 12), which no client means
    to send and the timecode and page parsers already refuse; one rule for every number.
    """

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not data.strip().isascii():
            self.fail("invalid")
        return super().to_internal_value(data)

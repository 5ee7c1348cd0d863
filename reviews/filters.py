"""Query filters of the list endpoints, declared once so the OpenAPI parameters come with them."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from reviews.models import Comment


class _TrueOrFalseField(forms.Field):
    """``true`` or ``false`` and nothing else: a typo must not silently drop the filter."""

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError("Use resolved=true or resolved=false.", code="invalid")


class _TrueOrFalseFilter(django_filters.BooleanFilter):
    field_class = _TrueOrFalseField


class CommentFilter(django_filters.FilterSet):
    resolved = _TrueOrFalseFilter(help_text="Only threads that are (not) resolved.")
    # A form CharField refuses NUL characters, which PostgreSQL cannot compare (400, not 500).
    author = django_filters.CharFilter(
        field_name="author__username", help_text="Only threads started by this username."
    )

    class Meta:
        model = Comment
        fields = ["resolved", "author"]

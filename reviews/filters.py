"""Query filters of the list endpoints, declared once so the OpenAPI parameters come with them."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from reviews.accounts import normalize_username
from reviews.models import Comment, Decision, NoteCategory, ReviewStatus, Severity, Version


class _TrueOrFalseField(forms.Field):
    """``true`` or ``false`` and nothing else: a typo must not silently drop the filter."""

    def __init__(self, *args: Any, name: str = "resolved", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name = name

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError(f"Use {self.name}=true or {self.name}=false.", code="invalid")


class _TrueOrFalseFilter(django_filters.BooleanFilter):
    field_class = _TrueOrFalseField


# Stands for "not said" in a type filter: ?category=none lists the uncategorised threads.
NOT_SAID = "none"


def _shown(value: str) -> str:
    """A refused value as a 400 repeats it: cut to 80 characters, so the answer stays short."""
    return repr(value if len(value) <= 80 else f"{value[:80]}…")


class _TypesField(forms.MultipleChoiceField):
    """One or several values, repeated (``?category=a&category=b``) or comma-separated
    (``?category=a,b``); each a documented value or ``none``."""

    def to_python(self, value: Any) -> list[str]:
        return [part.strip() for raw in super().to_python(value) for part in raw.split(",") if part.strip()]

    def validate(self, value: list[str]) -> None:
        known = [str(choice) for choice, _label in self.choices]
        for item in value:
            if item not in known:
                raise ValidationError(
                    f"{_shown(item)} is not one of: {', '.join(known)}.", code="invalid_choice"
                )


class _TypesFilter(django_filters.MultipleChoiceFilter):
    field_class = _TypesField

    def filter(self, qs: QuerySet[Comment], value: list[str]) -> QuerySet[Comment]:
        if not value:
            return qs
        wanted = ["" if item == NOT_SAID else item for item in value]
        return qs.filter(**{f"{self.field_name}__in": wanted})


class CommentFilter(django_filters.FilterSet):
    resolved = _TrueOrFalseFilter(help_text="Only threads that are (not) resolved.")
    # A form CharField refuses NUL characters, which PostgreSQL cannot compare (400, not 500).
    author = django_filters.CharFilter(
        method="filter_author", help_text="Only threads started by this username (any case or width)."
    )

    # The documented values only (GET /api/v1/note-categories/): a misspelt one is a 400.
    category = _TypesFilter(
        choices=[*NoteCategory.choices, (NOT_SAID, "Not categorised")],
        help_text="Only threads of these categories (repeat it or separate by commas; none: not said).",
    )
    severity = _TypesFilter(
        choices=[*Severity.choices, (NOT_SAID, "Not said")],
        help_text="Only threads of these severities (repeat it or separate by commas; none: not said).",
    )
    guest = _TrueOrFalseFilter(
        method="filter_guest",
        name="guest",
        help_text="Only threads started by a review link's guest (or only by members).",
    )
    internal = _TrueOrFalseFilter(
        name="internal", help_text="Only threads hidden from guests (or only those guests see)."
    )

    class Meta:
        model = Comment
        fields = ["resolved", "author", "category", "severity", "guest", "internal"]

    def filter_guest(self, comments: QuerySet[Comment], name: str, value: bool | None) -> QuerySet[Comment]:
        if value is None:
            return comments
        return comments.filter(guest__isnull=not value)

    def filter_author(self, comments: QuerySet[Comment], name: str, username: str) -> QuerySet[Comment]:
        # The name as sign-in reads it (reviews.accounts): ALICE and a full-width alice are alice.
        return comments.filter(author__username__iexact=normalize_username(username.strip()))


class VersionFilter(django_filters.FilterSet):
    """A shot's versions by the director's decision or the review status (docs/takes.md)."""

    # Several values as for notes (?decision=selected&decision=candidate, or comma-separated):
    # a repeated parameter had kept only its last value, silently.
    decision = _TypesFilter(
        choices=Decision.choices,
        help_text="Only takes with these decisions (repeat it or separate by commas).",
    )
    review_status = _TypesFilter(
        choices=ReviewStatus.choices,
        help_text="Only versions with these review statuses (repeat it or separate by commas).",
    )

    class Meta:
        model = Version
        fields = ["decision", "review_status"]

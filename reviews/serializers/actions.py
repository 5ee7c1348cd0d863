"""``my_actions``: what the requester may do, answered from ``reviews.permissions`` so pages don't copy the rules."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews import permissions
from reviews.permissions import Action, CommentAction, Principal

# Named in settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"], so the two enums get names of their own.
ACTION_CHOICES = [action.value for action in Action]
COMMENT_ACTION_CHOICES = [action.value for action in CommentAction]


def principal_in_context(context: dict[str, Any], row: Any) -> Principal:
    """The views put the principal in the context, or the request, whose user and the row's
    annotated ``my_role`` make one (no query per row)."""
    principal = context.get("principal")
    if principal is not None:
        return principal
    return Principal.of(context["request"].user, row.my_role)


@extend_schema_field(
    serializers.ListField(
        child=serializers.ChoiceField(choices=ACTION_CHOICES),
        help_text="What you may do in this project (the role matrix, as it applies to you).",
    )
)
class MyActionsField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, row: Any) -> list[str]:
        return permissions.my_actions(principal_in_context(self.context, row))


@extend_schema_field(
    serializers.ListField(
        child=serializers.ChoiceField(choices=COMMENT_ACTION_CHOICES),
        help_text="What you may do to this comment: reply, resolve, edit (its author), delete.",
    )
)
class MyCommentActionsField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, comment: Any) -> list[str]:
        return permissions.comment_actions(principal_in_context(self.context, comment), comment)

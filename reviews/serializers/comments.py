"""Serializers for comments: threads, their authors and annotations, creation and update."""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cached_property
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews import selectors
from reviews.models import Comment, Role
from reviews.serializers.actions import MyCommentActionsField
from reviews.serializers.jsonvalues import reject_null_characters
from reviews.serializers.users import UserSerializer
from reviews.timecode import (
    TimecodeError,
    frame_to_seconds,
    frame_to_timecode,
    seconds_to_frame,
    timecode_to_frame,
)


class CommentAuthorSerializer(UserSerializer):
    role = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "role"]

    @extend_schema_field(serializers.ChoiceField(choices=Role.choices, allow_null=True))
    def get_role(self, user: Any) -> str | None:
        return self.context.get("roles", {}).get(user.pk)


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    timecode = serializers.SerializerMethodField()
    timecode_end = serializers.SerializerMethodField()
    seconds = serializers.SerializerMethodField()
    seconds_end = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField()
    resolved_by = UserSerializer(read_only=True, allow_null=True)
    replies = serializers.SerializerMethodField()
    my_actions = MyCommentActionsField()
    deleted = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "version",
            "parent",
            "author",
            "body",
            "frame",
            "frame_end",
            "timecode",
            "timecode_end",
            "seconds",
            "seconds_end",
            "annotation",
            "mentions",
            "resolved",
            "resolved_by",
            "resolved_at",
            "created_at",
            "edited_at",
            "deleted",
            "deleted_at",
            "replies",
            "my_actions",
        ]

    def get_deleted(self, comment: Comment) -> bool:
        """A note its author deleted after others replied: the body is empty, the replies stay."""
        return comment.deleted_at is not None

    @cached_property
    def _author_serializer(self) -> CommentAuthorSerializer:
        # Built once per list, not once per comment (bench/README.md, the comment list).
        return CommentAuthorSerializer(context=self.context)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_mentions(self, comment: Comment) -> list[str]:
        # Lists load them as a plain list (selectors.comment_threads); a single comment may not.
        users = getattr(comment, "mentioned_users", None)
        return [user.username for user in (comment.mentions.all() if users is None else users)]

    @extend_schema_field(CommentAuthorSerializer(allow_null=True))
    def get_author(self, comment: Comment) -> dict[str, Any] | None:
        if comment.author is None:
            return None
        return self._author_serializer.to_representation(comment.author)

    def _rate(self) -> Fraction:
        return self.context["rate"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_timecode(self, comment: Comment) -> str | None:
        return None if comment.frame is None else frame_to_timecode(comment.frame, self._rate())

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_timecode_end(self, comment: Comment) -> str | None:
        return None if comment.frame_end is None else frame_to_timecode(comment.frame_end, self._rate())

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_seconds(self, comment: Comment) -> float | None:
        return None if comment.frame is None else float(frame_to_seconds(comment.frame, self._rate()))

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_seconds_end(self, comment: Comment) -> float | None:
        return None if comment.frame_end is None else float(frame_to_seconds(comment.frame_end, self._rate()))

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_replies(self, comment: Comment) -> list[dict[str, Any]]:
        replies = getattr(comment, "replies", None)
        if replies is None:
            return []
        # This serializer again, not a new one per comment: its fields are built already.
        return [self.to_representation(reply) for reply in replies]


def _validate_annotation(value: Any) -> Any:
    """An annotation: shapes drawn in coordinates normalised to the frame (0..1), so they fit any player size."""
    message = (
        'An annotation is {"shapes": [{"type": "stroke" or "arrow", "color": "#ff3b30", '
        '"width": 0.004, "points": [[x, y], ...]}]} with x and y between 0 and 1.'
    )
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("shapes"), list):
        raise serializers.ValidationError(message)
    if len(json.dumps(value)) > 256 * 1024:
        raise serializers.ValidationError("The drawing is too detailed (over 256 KiB); simplify it.")
    for shape in value["shapes"]:
        points = shape.get("points") if isinstance(shape, dict) else None
        if (
            not isinstance(shape, dict)
            or shape.get("type") not in ("stroke", "arrow")
            or not isinstance(points, list)
            or not points
            or not all(
                isinstance(point, list)
                and len(point) == 2
                and all(
                    isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in point
                )
                for point in points
            )
            or not isinstance(shape.get("color", ""), str)
            or len(shape.get("color", "")) > 32
        ):
            raise serializers.ValidationError(message)
    reject_null_characters(value)
    return value


# Frames are stored in a 32-bit column: 2**31 frames is over two years at 30 fps.
_MAX_FRAME = 2**31 - 1


class CommentCreateSerializer(serializers.Serializer):
    """A new comment. Anchor it with one of frame, timecode or seconds (and optionally an end)."""

    body = serializers.CharField(max_length=10000, trim_whitespace=True)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Comment.objects.all(), required=False, allow_null=True
    )
    frame = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    frame_end = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    timecode = serializers.CharField(
        required=False, help_text="Non-drop-frame HH:MM:SS:FF at the version's rate."
    )
    timecode_end = serializers.CharField(required=False)
    seconds = serializers.FloatField(required=False, min_value=0)
    seconds_end = serializers.FloatField(required=False, min_value=0)
    annotation = serializers.JSONField(required=False, allow_null=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.context.get("user")
        if user is not None:
            # A comment in a project the author cannot see answers exactly like a missing id.
            self.fields["parent"].queryset = selectors.comments_for(user)

    def validate_annotation(self, value: Any) -> Any:
        return _validate_annotation(value)

    def _frame(self, attrs: dict[str, Any], suffix: str) -> int | None:
        rate: Fraction = self.context["rate"]
        given = [
            name
            for name in (f"frame{suffix}", f"timecode{suffix}", f"seconds{suffix}")
            if attrs.get(name) is not None
        ]
        if len(given) > 1:
            raise serializers.ValidationError({given[1]: [f"Send only one of {', '.join(given)}."]})
        if not given:
            return None
        name = given[0]
        try:
            if name.startswith("timecode"):
                return timecode_to_frame(attrs[name], rate)
            if name.startswith("seconds"):
                return seconds_to_frame(attrs[name], rate)
        except TimecodeError as error:
            raise serializers.ValidationError({name: [str(error)]}) from None
        return attrs[name]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        frame = self._frame(attrs, "")
        frame_end = self._frame(attrs, "_end")
        if frame_end is not None and frame is None:
            raise serializers.ValidationError(
                {"frame_end": ["A range needs a start: send frame (or timecode) too."]}
            )
        if frame_end is not None and frame_end < frame:
            raise serializers.ValidationError({"frame_end": ["The range ends before it starts."]})
        frame_count = self.context.get("frame_count")
        for name, value in (("frame", frame), ("frame_end", frame_end)):
            # Before the clip is probed its length is unknown, but the column still has a limit.
            if value is not None and value > _MAX_FRAME:
                raise serializers.ValidationError({name: [f"Frame {value} is past the end of any clip."]})
            if frame_count and value is not None and value >= frame_count:
                raise serializers.ValidationError(
                    {
                        name: [
                            f"Frame {value} is past the end of this clip, which has frames 0 to {frame_count - 1}."
                        ]
                    }
                )
        return {
            "body": attrs["body"],
            "parent": attrs.get("parent"),
            "frame": frame,
            "frame_end": frame_end,
            "annotation": attrs.get("annotation"),
        }


class CommentUpdateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, required=False)
    annotation = serializers.JSONField(required=False, allow_null=True)
    resolved = serializers.BooleanField(required=False)

    def validate_annotation(self, value: Any) -> Any:
        return _validate_annotation(value)

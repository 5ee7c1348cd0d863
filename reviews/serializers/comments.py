"""Serializers for comments: threads, their authors and annotations, creation and update."""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cached_property
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews import carry_over, selectors
from reviews.bounded import AboveMaximum, OutOfBounds, read_number
from reviews.models import Comment, NoteCategory, Role, Severity
from reviews.serializers.actions import MyCommentActionsField
from reviews.serializers.fields import WholeNumberField
from reviews.serializers.jsonvalues import reject_null_characters
from reviews.serializers.users import UserSerializer
from reviews.timecode import (
    MAX_SECONDS,
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


class NoteTypeField(serializers.ChoiceField):
    """A documented category or severity; a wrong one is named in the 400, cut to 80 characters."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            shown = str(data)
            shown = shown if len(shown) <= 80 else f"{shown[:80]}…"
            values = ", ".join(str(value) for value in self.choices)
            raise serializers.ValidationError(
                f"{shown!r} is not one of: {values}.", code="invalid_choice"
            ) from None


class CarriedFromSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        allow_null=True, help_text="The id of the take the thread was carried from; null once deleted."
    )
    number = serializers.IntegerField(help_text="Its number in the shot, as in 'from v2'.")
    written_on = serializers.IntegerField(help_text="The number of the take the thread was written on.")
    frame = serializers.IntegerField(
        allow_null=True, help_text="The thread's own frame on the take it was written on (null: general)."
    )
    frame_end = serializers.IntegerField(allow_null=True)
    timecode = serializers.CharField(allow_null=True, help_text="`frame` at that take's own rate.")
    timecode_end = serializers.CharField(allow_null=True)


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
    carried_from = serializers.SerializerMethodField()
    beyond_end = serializers.SerializerMethodField()
    guest = serializers.SerializerMethodField()
    internal = serializers.SerializerMethodField()

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
            "category",
            "severity",
            "carried_from",
            "beyond_end",
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
            "internal",
            "guest",
        ]

    def get_internal(self, comment: Comment) -> bool:
        """Hidden from review-link guests: its own flag, or its thread's while the thread is internal."""
        if comment.internal or comment.thread_id is None:
            return comment.internal
        thread_internal = getattr(comment, "thread_internal", None)  # set by selectors.attach_replies
        return comment.thread.internal if thread_internal is None else thread_internal

    def get_deleted(self, comment: Comment) -> bool:
        """A note its author deleted after others replied: the body is empty, the replies stay."""
        return comment.deleted_at is not None

    @extend_schema_field(CarriedFromSerializer(allow_null=True))
    def get_carried_from(self, comment: Comment) -> dict[str, Any] | None:
        """The take a thread was carried from (reviews.carry_over), on the version's comment list;
        its id is null once that take was deleted. Also where it was written, and at what time."""
        return carry_over.carried_from(comment)

    def get_beyond_end(self, comment: Comment) -> bool:
        """A carried note whose moment lies past this clip's end (its frame is then null)."""
        return bool(getattr(comment, "beyond_end", False))

    @cached_property
    def _author_serializer(self) -> CommentAuthorSerializer:
        # Built once per list, not once per comment (bench/README.md, the comment list).
        return CommentAuthorSerializer(context=self.context)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_mentions(self, comment: Comment) -> list[str]:
        # Lists load them as a plain list (selectors.comment_threads); a single comment may not.
        users = getattr(comment, "mentioned_users", None)
        return [user.username for user in (comment.mentions.all() if users is None else users)]

    @extend_schema_field(
        serializers.DictField(allow_null=True, help_text="A review link's guest who wrote it: id, name.")
    )
    def get_guest(self, comment: Comment) -> dict[str, Any] | None:
        if comment.guest_id is None:
            return None
        # Their name only: a guest's email is for the director (review link opens).
        return {"id": comment.guest_id, "name": comment.guest.name}

    @extend_schema_field(CommentAuthorSerializer(allow_null=True))
    def get_author(self, comment: Comment) -> dict[str, Any] | None:
        if comment.guest_id is not None:
            # Shown like a member so every page reads it: "guest: Ann", role guest.
            return {
                "id": None,
                "username": None,
                "display_name": f"guest: {comment.guest.name}",
                "role": "guest",
            }
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


_TYPE_HELP = "What the note is about; empty when not said. Only on a note that starts a thread."


def _refuse_type_on_reply(attrs: dict[str, Any]) -> None:
    """A thread has one category and severity, its first note's: a reply carries neither."""
    for name in ("category", "severity"):
        if attrs.get(name):
            raise serializers.ValidationError(
                {name: [f"A reply takes its thread's {name}; set it on the note that starts the thread."]}
            )


# Frames are stored in a 32-bit column: 2**31 frames is over two years at 30 fps.
_MAX_FRAME = 2**31 - 1
_PAST_ANY_CLIP = {"max_value": "This is past the end of any clip: frames run up to {max_value}."}


@extend_schema_field(serializers.FloatField(min_value=0, max_value=MAX_SECONDS))
class SecondsField(serializers.Field):
    """A time in seconds, read exactly and within bounds (reviews.bounded) before any arithmetic."""

    default_error_messages = {"invalid": "{message}"}

    def to_internal_value(self, data: Any) -> Fraction:
        try:
            return read_number(data, minimum=0, maximum=MAX_SECONDS)
        except AboveMaximum:
            self.fail("invalid", message=f"This is past the end of any clip (at most {MAX_SECONDS} s).")
        except OutOfBounds as error:
            self.fail("invalid", message=f"{error} Send seconds like 2 or 2.5.")

    def to_representation(self, value: Fraction) -> float:
        return float(value)


class CommentCreateSerializer(serializers.Serializer):
    """A new comment. Anchor it with one of frame, timecode or seconds (and optionally an end)."""

    body = serializers.CharField(max_length=10000, trim_whitespace=True)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Comment.objects.all(), required=False, allow_null=True
    )
    frame = WholeNumberField(
        required=False, allow_null=True, min_value=0, max_value=_MAX_FRAME, error_messages=_PAST_ANY_CLIP
    )
    frame_end = WholeNumberField(
        required=False, allow_null=True, min_value=0, max_value=_MAX_FRAME, error_messages=_PAST_ANY_CLIP
    )
    # The timecode module bounds what it reads; the length here keeps a megabyte out of the message.
    timecode = serializers.CharField(
        required=False, max_length=32, help_text="Non-drop-frame HH:MM:SS:FF at the version's rate."
    )
    timecode_end = serializers.CharField(required=False, max_length=32)
    seconds = SecondsField(required=False)
    seconds_end = SecondsField(required=False)
    annotation = serializers.JSONField(required=False, allow_null=True)
    category = NoteTypeField(
        choices=NoteCategory.choices, required=False, allow_blank=True, help_text=_TYPE_HELP
    )
    severity = NoteTypeField(choices=Severity.choices, required=False, allow_blank=True)
    internal = serializers.BooleanField(
        required=False, default=False, help_text="Members only: hide this note from review-link guests."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.context.get("user")
        if user is not None:
            # A comment in a project the author cannot see answers exactly like a missing id.
            self.fields["parent"].queryset = selectors.comments_for(user)

    def validate_annotation(self, value: Any) -> Any:
        return _validate_annotation(value)

    def _frame(self, attrs: dict[str, Any], suffix: str) -> tuple[int | None, str]:
        """The frame of the start (suffix "") or end ("_end"), and the field the client named it with."""
        rate: Fraction = self.context["rate"]
        given = [
            name
            for name in (f"frame{suffix}", f"timecode{suffix}", f"seconds{suffix}")
            if attrs.get(name) is not None
        ]
        if len(given) > 1:
            raise serializers.ValidationError({given[1]: [f"Send only one of {', '.join(given)}."]})
        if not given:
            return None, f"frame{suffix}"
        name = given[0]
        try:
            if name.startswith("timecode"):
                frame = timecode_to_frame(attrs[name], rate)
            elif name.startswith("seconds"):
                frame = seconds_to_frame(attrs[name], rate)
            else:
                frame = attrs[name]
        except TimecodeError as error:
            raise serializers.ValidationError({name: [str(error)]}) from None
        # Errors name the field the client sent: a timecode past the end is the timecode's fault.
        frame_count = self.context.get("frame_count")
        # Before the clip is probed its length is unknown, but the column still has a limit.
        if frame > _MAX_FRAME:
            raise serializers.ValidationError(
                {name: [f"{self._sent(attrs, name)} is past the end of any clip."]}
            )
        if frame_count and frame >= frame_count:
            raise serializers.ValidationError(
                {
                    name: [
                        f"{self._sent(attrs, name)} is past the end of this clip,"
                        f" which has frames 0 to {frame_count - 1}"
                        f" ({frame_to_timecode(0, rate)} to {frame_to_timecode(frame_count - 1, rate)})."
                    ]
                }
            )
        return frame, name

    @staticmethod
    def _sent(attrs: dict[str, Any], name: str) -> str:
        if name.startswith("timecode"):
            return f"Timecode {attrs[name].strip()}"
        if name.startswith("seconds"):
            return f"{float(attrs[name]):g} s"
        return f"Frame {attrs[name]}"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        frame, _ = self._frame(attrs, "")
        frame_end, end_name = self._frame(attrs, "_end")
        if frame_end is not None and frame is None:
            raise serializers.ValidationError(
                {end_name: ["A range needs a start: send frame (or timecode) too."]}
            )
        if frame_end is not None and frame_end < frame:
            raise serializers.ValidationError({end_name: ["The range ends before it starts."]})
        if attrs.get("parent") is not None:
            _refuse_type_on_reply(attrs)
        return {
            "category": attrs.get("category", ""),
            "severity": attrs.get("severity", ""),
            "body": attrs["body"],
            "parent": attrs.get("parent"),
            "frame": frame,
            "frame_end": frame_end,
            "annotation": attrs.get("annotation"),
            "internal": attrs.get("internal", False),
        }


class CommentUpdateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, required=False)
    annotation = serializers.JSONField(required=False, allow_null=True)
    resolved = serializers.BooleanField(required=False)
    category = NoteTypeField(
        choices=NoteCategory.choices, required=False, allow_blank=True, help_text=_TYPE_HELP
    )
    severity = NoteTypeField(choices=Severity.choices, required=False, allow_blank=True)
    internal = serializers.BooleanField(required=False, help_text="Hide the thread from review-link guests.")

    def validate_annotation(self, value: Any) -> Any:
        return _validate_annotation(value)

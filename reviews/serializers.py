"""Shapes of the API contract (shared/API.md). No side effects: writes go through services."""

from __future__ import annotations

import json
from fractions import Fraction
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews import media_files, selectors
from reviews.models import Comment, Membership, ProcessingState, Project, ReviewStatus, Role, Shot, Version
from reviews.timecode import (
    TimecodeError,
    frame_to_seconds,
    frame_to_timecode,
    parse_rate,
    rate_label,
    seconds_to_frame,
    timecode_to_frame,
)

User = get_user_model()


def display_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]

    def get_display_name(self, user: Any) -> str:
        return display_name(user)


class UserCreateSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, min_length=8, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "username", "password", "first_name", "last_name", "email"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


@extend_schema_field(OpenApiTypes.NUMBER)
class RateField(serializers.Field):
    """A frame rate: in as 24, 23.976 or "30000/1001"; out as a number (23.976)."""

    default_error_messages = {"invalid": "{message}"}

    def to_internal_value(self, data: Any) -> Fraction:
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail(
                "invalid", message="A frame rate is a number like 24 or 23.976, or a ratio like 30000/1001."
            )
        try:
            return parse_rate(data)
        except TimecodeError as error:
            self.fail("invalid", message=str(error))

    def to_representation(self, value: Fraction) -> float | int:
        return value.numerator if value.denominator == 1 else float(rate_label(value))


class ProjectSerializer(serializers.ModelSerializer):
    fps = RateField(
        required=False, help_text="Default frame rate for timecodes, e.g. 24, 23.976 or 30000/1001."
    )
    fps_rational = serializers.SerializerMethodField()
    my_role = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = ["id", "name", "description", "fps", "fps_rational", "created_at", "my_role"]

    def get_fps_rational(self, project: Project) -> str:
        return f"{project.fps_numerator}/{project.fps_denominator}"


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["user", "username", "display_name", "role"]
        read_only_fields = ["user"]

    def get_display_name(self, membership: Membership) -> str:
        return display_name(membership.user)


class MemberCreateSerializer(serializers.Serializer):
    """Add someone by user id or by username."""

    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    username = serializers.CharField(required=False)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = attrs.get("user")
        if user is None and "username" in attrs:
            user = User.objects.filter(username=attrs["username"]).first()
            if user is None:
                raise serializers.ValidationError({"username": [f"No user is called {attrs['username']!r}."]})
        if user is None:
            raise serializers.ValidationError(
                {"user": ["Give the user's id as `user`, or their `username`."]}
            )
        return {"user": user, "role": attrs["role"]}


class MemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class VersionSummarySerializer(serializers.ModelSerializer):
    processing_state = serializers.CharField(read_only=True)
    poster_url = serializers.SerializerMethodField()

    class Meta:
        model = Version
        fields = ["id", "number", "created_at", "review_status", "processing_state", "poster_url"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_poster_url(self, version: Version) -> str | None:
        return _media_url(self.context, version, "poster")


def _media_url(context: dict[str, Any], version: Version, kind: str) -> str | None:
    if version.processing_state != ProcessingState.READY or not version.outputs_dir:
        return None
    url = media_files.signed_url(version, kind)
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url


class ShotSerializer(serializers.ModelSerializer):
    latest_version = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Shot
        fields = ["id", "project", "code", "title", "description", "order", "latest_version", "status"]
        read_only_fields = ["project"]
        # The per-project uniqueness is checked in validate_code, with a clear message.
        validators: list = []

    @cached_property
    def _version_summary(self) -> VersionSummarySerializer:
        # One nested serializer for the whole list: building a serializer's fields costs more
        # than serializing a row with them (bench/README.md, the shot list).
        return VersionSummarySerializer(context=self.context)

    @extend_schema_field(VersionSummarySerializer(allow_null=True))
    def get_latest_version(self, shot: Shot) -> dict[str, Any] | None:
        latest = _latest(shot)
        return self._version_summary.to_representation(latest) if latest else None

    @extend_schema_field(serializers.ChoiceField(choices=[*ReviewStatus.values, "no_version"]))
    def get_status(self, shot: Shot) -> str:
        latest = _latest(shot)
        return latest.review_status if latest else "no_version"

    def validate_code(self, code: str) -> str:
        project = self.instance.project if self.instance else self.context["project"]
        clash = Shot.objects.filter(project=project, code=code)
        if self.instance:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(f"This project already has a shot {code}.")
        return code


def _latest(shot: Shot) -> Version | None:
    latest = getattr(shot, "latest_versions", None)
    if latest is None:
        return shot.versions.order_by("-number").first()
    return latest[0] if latest else None


class ProcessingSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ProcessingState.choices, source="processing_state")
    progress = serializers.IntegerField(source="processing_progress", min_value=0, max_value=100)
    error = serializers.SerializerMethodField()
    attempts = serializers.IntegerField(source="processing_attempts")

    def get_error(self, version: Version) -> str | None:
        return version.processing_error or None


class MediaSerializer(serializers.Serializer):
    duration = serializers.FloatField()
    fps = serializers.SerializerMethodField()
    fps_rational = serializers.SerializerMethodField()
    variable_frame_rate = serializers.BooleanField()
    frame_count = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    video_codec = serializers.CharField()
    pixel_format = serializers.CharField()
    has_audio = serializers.BooleanField()

    def get_fps(self, version: Version) -> float:
        return float(version.fps)

    def get_fps_rational(self, version: Version) -> str:
        return f"{version.fps_numerator}/{version.fps_denominator}"


class FilmstripSerializer(serializers.Serializer):
    url = serializers.URLField()
    columns = serializers.IntegerField()
    rows = serializers.IntegerField()
    tile_width = serializers.IntegerField()
    tile_height = serializers.IntegerField()
    interval = serializers.FloatField(help_text="Seconds between tiles: tile i shows time i*interval.")
    thumbnails_url = serializers.URLField(help_text="WebVTT thumbnails track pointing into the sprite.")


class JSONObjectField(serializers.JSONField):
    """A JSON object, sent as JSON or, in a multipart upload, as a JSON string."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError(
                    'This must be a JSON object, e.g. {"model": "kling-2", "seed": 42}.'
                ) from None
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                'This must be a JSON object, e.g. {"model": "kling-2", "seed": 42}.'
            )
        if len(json.dumps(data)) > 64 * 1024:
            raise serializers.ValidationError("This is larger than 64 KiB; keep generation metadata short.")
        return data


class VersionSerializer(serializers.ModelSerializer):
    uploaded_by = UserSerializer(read_only=True, allow_null=True)
    processing = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()
    proxy_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    filmstrip = serializers.SerializerMethodField()
    generation = JSONObjectField(required=False)
    my_role = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Version
        fields = [
            "id",
            "shot",
            "number",
            "uploaded_by",
            "created_at",
            "original_filename",
            "size_bytes",
            "sha256",
            "note",
            "generation",
            "processing",
            "media",
            "proxy_url",
            "poster_url",
            "filmstrip",
            "review_status",
            "my_role",
        ]
        read_only_fields = ["shot", "number", "original_filename", "size_bytes", "sha256"]

    @extend_schema_field(ProcessingSerializer)
    def get_processing(self, version: Version) -> dict[str, Any]:
        return ProcessingSerializer(version).data

    @extend_schema_field(MediaSerializer(allow_null=True))
    def get_media(self, version: Version) -> dict[str, Any] | None:
        return MediaSerializer(version).data if version.duration is not None and version.fps else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_proxy_url(self, version: Version) -> str | None:
        return _media_url(self.context, version, "proxy")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_poster_url(self, version: Version) -> str | None:
        return _media_url(self.context, version, "poster")

    @extend_schema_field(FilmstripSerializer(allow_null=True))
    def get_filmstrip(self, version: Version) -> dict[str, Any] | None:
        url = _media_url(self.context, version, "filmstrip")
        if url is None or not version.filmstrip:
            return None
        return {
            **version.filmstrip,
            "url": url,
            "thumbnails_url": _media_url(self.context, version, "thumbnails"),
        }


class VersionUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False, help_text="The clip: MP4, MOV, WebM, MKV, AVI or GIF."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    generation = JSONObjectField(
        required=False, help_text="AI generation metadata: model, prompt, seed, any extra keys."
    )


class VersionUpdateSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
    generation = JSONObjectField(required=False)
    review_status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)


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
            "replies",
        ]

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
    """Drawn shapes in coordinates normalised to the frame (0..1), so they fit any player size."""
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

"""Serializers for versions: the full version, its summary in a shot, upload and update."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.bounded import OutOfBounds, loads_json
from reviews.media import links
from reviews.models import Decision, ProcessingState, ReviewStatus, Version
from reviews.serializers.actions import MyActionsField
from reviews.serializers.jsonvalues import reject_null_characters
from reviews.serializers.takes import RecommendedByField, parent_version_field
from reviews.serializers.users import UserSerializer
from reviews.take_settings import take_settings


class VersionSummarySerializer(serializers.ModelSerializer):
    """A version as a shot shows it; counts, activity and queue place come from the selectors
    (with_comment_counts, with_activity, with_queue_position)."""

    processing_state = serializers.CharField(read_only=True)
    processing_progress = serializers.IntegerField(read_only=True, min_value=0, max_value=100)
    queue_position = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="While queued: how many versions wait before it for a worker; null otherwise.",
    )
    poster_url = serializers.SerializerMethodField()
    comment_count = serializers.IntegerField(read_only=True, help_text="Notes and replies.")
    open_thread_count = serializers.IntegerField(read_only=True, help_text="Notes not resolved yet.")
    last_activity_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="The newest note or review status change; null if none."
    )
    unread = serializers.BooleanField(
        read_only=True,
        help_text="Someone else wrote or decided something here since you last opened this version.",
    )

    class Meta:
        model = Version
        fields = [
            "id",
            "number",
            "created_at",
            "review_status",
            "processing_state",
            "processing_progress",
            "queue_position",
            "poster_url",
            "comment_count",
            "open_thread_count",
            "last_activity_at",
            "unread",
            "decision",
            "parent_version",
        ]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_poster_url(self, version: Version) -> str | None:
        return _media_url(self.context, version, "poster")


def _media_url(context: dict[str, Any], version: Version, kind: str) -> str | None:
    if version.processing_state != ProcessingState.READY or not version.outputs_dir:
        return None
    # A link belongs to the member who asked for it (reviews/media/links.py), or to the guest.
    guest = context.get("guest")
    request = context.get("request")
    if guest is not None and request is not None:
        return request.build_absolute_uri(links.signed_url(version, kind, guest_id=guest.pk))
    if request is None or not request.user.is_authenticated:
        return None
    return request.build_absolute_uri(links.signed_url(version, kind, user_id=request.user.pk))


class ProcessingSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ProcessingState.choices, source="processing_state")
    progress = serializers.IntegerField(source="processing_progress", min_value=0, max_value=100)
    error = serializers.SerializerMethodField()
    attempts = serializers.IntegerField(source="processing_attempts")
    queue_position = serializers.SerializerMethodField(
        help_text="While queued: how many versions wait before it for a worker; null otherwise."
    )

    def get_queue_position(self, version: Version) -> int | None:
        # Annotated by selectors.versions_for; a version loaded otherwise does not say.
        return getattr(version, "queue_position", None)

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
    video_stream_index = serializers.IntegerField(
        allow_null=True, help_text="The file's stream reviewed: its default video stream when it has several."
    )
    video_stream_count = serializers.IntegerField(allow_null=True, help_text="Video streams in the file.")
    poster_frame = serializers.IntegerField(
        allow_null=True, help_text="The frame the poster shows, once ready."
    )

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


_MAX_GENERATION_BYTES = 64 * 1024
_TOO_LARGE = "This is larger than 64 KiB; keep generation metadata short."


class JSONObjectField(serializers.JSONField):
    """A JSON object, sent as JSON or, in a multipart upload, as a JSON string."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            if len(data) > _MAX_GENERATION_BYTES:
                raise serializers.ValidationError(_TOO_LARGE)
            try:
                data = loads_json(data)
            except OutOfBounds as error:
                raise serializers.ValidationError(
                    f'This must be a JSON object, e.g. {{"model": "kling-2", "seed": 42}}. {error}'
                ) from None
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                'This must be a JSON object, e.g. {"model": "kling-2", "seed": 42}.'
            )
        if len(json.dumps(data)) > _MAX_GENERATION_BYTES:
            raise serializers.ValidationError(_TOO_LARGE)
        reject_null_characters(data)
        return data


class TakeSettingsSerializer(serializers.Serializer):
    """The schema of ``take_settings`` (reviews/take_settings.py)."""

    model = serializers.CharField(allow_null=True)
    seed = serializers.CharField(allow_null=True)
    prompt = serializers.CharField(allow_null=True)
    read_from_file = serializers.ListField(child=serializers.ChoiceField(choices=["model", "seed", "prompt"]))


class VersionSerializer(serializers.ModelSerializer):
    uploaded_by = UserSerializer(read_only=True, allow_null=True)
    processing = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()
    proxy_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    filmstrip = serializers.SerializerMethodField()
    generation = JSONObjectField(required=False)
    provenance = serializers.JSONField(
        read_only=True,
        help_text="What the uploaded file itself says of its making (C2PA, tags, its name), read "
        "before any transcode; {} until probed. Shape: docs/provenance.md.",
    )
    take_settings = serializers.SerializerMethodField(
        help_text="Model, seed and prompt as text: generation's, else what the file says "
        "(read_from_file names those); the same the takes menu, search and next prompt show."
    )
    my_role = serializers.CharField(read_only=True, allow_null=True)
    my_actions = MyActionsField()
    recommended_by = RecommendedByField()

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
            "provenance",
            "take_settings",
            "processing",
            "media",
            "proxy_url",
            "poster_url",
            "filmstrip",
            "review_status",
            "decision",
            "parent_version",
            "recommended_by",
            "my_role",
            "my_actions",
        ]
        read_only_fields = [
            "shot",
            "number",
            "original_filename",
            "size_bytes",
            "sha256",
            "decision",
            "parent_version",
        ]

    @extend_schema_field(TakeSettingsSerializer)
    def get_take_settings(self, version: Version) -> dict[str, Any]:
        return take_settings(version)

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


class OriginalDownloadSerializer(serializers.Serializer):
    """``GET versions/{id}/original/`` (and the guests' twin): where to get the uploaded file."""

    url = serializers.URLField(
        help_text="A signed link to the file, as uploaded, served as an attachment; no credentials "
        "needed. It stops working at expires_at, or at once when you may no longer download it."
    )
    filename = serializers.CharField(help_text="The name the file downloads as.")
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField(help_text="Of the file's bytes, as computed at upload.")
    expires_at = serializers.DateTimeField()


def original_download(request: Any, version: Version, *, guest: Any = None) -> dict[str, Any]:
    """The OriginalDownloadSerializer data for the member of `request`, or for `guest` (a
    ReviewLinkGuest). Asks no permission: the views require Action.DOWNLOAD_ORIGINAL first."""
    if not links.original_available(version):
        raise Http404("This version's original file is missing from storage; upload the clip again.")
    holder = {"guest_id": guest.pk} if guest is not None else {"user_id": request.user.pk}
    url = links.signed_url(version, links.ORIGINAL, **holder)
    return OriginalDownloadSerializer(
        {
            "url": request.build_absolute_uri(url),
            "filename": links.original_download_name(version, guest=guest is not None),
            "content_type": links.original_content_type(version),
            "size_bytes": version.size_bytes,
            "sha256": version.sha256,
            "expires_at": links.link_expires_at(),
        }
    ).data


# A version's note is a sentence or a paragraph, as long as a comment may be.
NOTE_MAX_LENGTH = 10000


class VersionUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False, help_text="The clip: MP4, MOV, WebM, MKV, AVI or GIF."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH)
    generation = JSONObjectField(
        required=False, help_text="AI generation metadata: model, prompt, seed, any extra keys."
    )
    parent_version = parent_version_field()


class VersionUpdateSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)
    generation = JSONObjectField(required=False)
    review_status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)
    decision = serializers.ChoiceField(
        choices=Decision.choices, required=False, help_text="The director's call; see docs/takes.md."
    )
    parent_version = parent_version_field()

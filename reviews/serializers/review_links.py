"""Shapes of review links (the director's side) and of what a guest reads about their link."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from rest_framework import serializers

from reviews.identifiers import shows_ink
from reviews.models import ReviewLink, ReviewLinkGuest, Shot, Version
from reviews.serializers.users import UserSerializer

PASSPHRASE_MAX_LENGTH = 128


class ReviewLinkSerializer(serializers.ModelSerializer):
    """A link as its director sees it. ``token`` and ``url`` are filled once, in the answer to its
    creation; afterwards the server no longer knows them."""

    versions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    shots = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    created_by = UserSerializer(read_only=True, allow_null=True)
    has_passphrase = serializers.BooleanField(read_only=True)
    state = serializers.ChoiceField(choices=["active", "expired", "revoked"], read_only=True)
    open_count = serializers.IntegerField(read_only=True, default=0, help_text="Times a guest opened it.")
    guest_comment_count = serializers.IntegerField(read_only=True, default=0)
    token = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReviewLink
        fields = [
            "id",
            "project",
            "label",
            "versions",
            "shots",
            "has_passphrase",
            "can_comment",
            "can_download_original",
            "expires_at",
            "revoked_at",
            "state",
            "created_by",
            "created_at",
            "open_count",
            "guest_comment_count",
            "token",
            "url",
        ]
        read_only_fields = fields

    def get_token(self, link: ReviewLink) -> str | None:
        return self.context.get("token")

    def get_url(self, link: ReviewLink) -> str | None:
        token = self.context.get("token")
        return None if token is None else f"{settings.REVIEWSVC_PUBLIC_URL}/r/{token}"


class ReviewLinkWriteSerializer(serializers.Serializer):
    """A new link (POST) or changes to one (PATCH: every field optional)."""

    label = serializers.CharField(
        max_length=ReviewLink._meta.get_field("label").max_length, required=False, allow_blank=True
    )
    versions = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Version.objects.select_related("shot")
    )
    shots = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Shot.objects.all(),
        help_text="Shots whose chosen take (else latest version) the link shows when opened.",
    )
    passphrase = serializers.CharField(
        max_length=PASSPHRASE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        write_only=True,
        style={"input_type": "password"},
        help_text='Guests must type it; "" or null removes it.',
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    can_comment = serializers.BooleanField(required=False)
    can_download_original = serializers.BooleanField(required=False)
    revoked_at = serializers.DateTimeField(required=False, allow_null=True, help_text="PATCH only: revokes.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project = self.context.get("project")
        if project is not None:
            # Another project's ids answer exactly as ids that do not exist.
            self.fields["versions"].child_relation.queryset = Version.objects.filter(
                shot__project=project
            ).select_related("shot")
            self.fields["shots"].child_relation.queryset = Shot.objects.filter(project=project)

    def validate_passphrase(self, value: str | None) -> str:
        if value and len(value) < 4:
            raise serializers.ValidationError("Use at least 4 characters, or none at all.")
        if value and not any(shows_ink(character) for character in value):
            # Typed as it is (spaces count), but one of only spaces or invisible characters
            # (zero-width, Braille blank, Hangul filler) protects nothing and cannot be read out.
            raise serializers.ValidationError("Use at least one character that is not a space.")
        return value or ""


class ReviewLinkOpenSerializer(serializers.ModelSerializer):
    """Someone who opened the link: when, under which name and email, and how many notes they wrote."""

    opened_at = serializers.DateTimeField(source="created_at", read_only=True)
    comment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReviewLinkGuest
        fields = ["id", "name", "email", "opened_at", "last_seen_at", "comment_count"]


def clean_guest_name(value: str) -> str:
    """A guest's name as shown beside their notes: format and control characters (zero-width,
    bidi overrides: Unicode Cf, Cc) removed, line breaks and tabs read as spaces, runs of
    spaces made one. Refused when nothing is left, or when it starts "guest:" (notes are
    already shown as "guest: <name>", and one must not pass for two)."""
    value = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or unicodedata.category(char) not in ("Cf", "Cc", "Cs", "Co", "Cn")
    )
    value = " ".join(value.split())
    if not value:
        raise serializers.ValidationError("Give the name your notes will be signed with.")
    if "".join(unicodedata.normalize("NFKC", value).casefold().split()).startswith("guest:"):
        raise serializers.ValidationError('Give your own name, without "guest:".')
    return value


class ReviewLinkNoteSerializer(serializers.Serializer):
    """A note a guest of the link wrote: who, when, where, its first words, and the review page
    at its frame with its thread selected."""

    id = serializers.IntegerField()
    guest = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    frame = serializers.IntegerField(allow_null=True)
    excerpt = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    link = serializers.SerializerMethodField()

    def get_guest(self, comment: Any) -> dict[str, Any]:
        return {"id": comment.guest_id, "name": comment.guest.name}

    def get_version(self, comment: Any) -> dict[str, Any]:
        version = comment.version
        return {
            "id": version.pk,
            "number": version.number,
            "shot": {"id": version.shot_id, "code": version.shot.code},
        }

    def get_excerpt(self, comment: Any) -> str:
        return comment.body if len(comment.body) <= 140 else comment.body[:139] + "…"

    def get_link(self, comment: Any) -> str:
        at = f"frame={comment.frame}&" if comment.frame is not None else ""
        return f"/review/versions/{comment.version_id}/?{at}comment={comment.thread_id or comment.pk}"


class GuestJoinSerializer(serializers.Serializer):
    # Each as long as its column holds (ReviewLinkGuest): longer is a 400, never a database error.
    name = serializers.CharField(max_length=ReviewLinkGuest._meta.get_field("name").max_length)
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        default="",
        max_length=ReviewLinkGuest._meta.get_field("email").max_length,
    )
    passphrase = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=PASSPHRASE_MAX_LENGTH, trim_whitespace=False
    )

    def validate_name(self, value: str) -> str:
        return clean_guest_name(value)

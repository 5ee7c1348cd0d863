"""Shapes of notifications, their groups, settings and watches."""

from __future__ import annotations

import zoneinfo
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews.models import (
    DigestFrequency,
    DigestPreferences,
    EventKind,
    Notification,
    NotificationLevel,
    NotificationReason,
    NotificationSettings,
)
from reviews.notifications.email import guest_of_event
from reviews.serializers.fields import WholeNumberField
from reviews.serializers.users import UserSerializer

# Names tzdata ships that are not a place: the server's own zone, and tzdata's "Factory" placeholder.
NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


def _quoted(notification: Notification, key: str) -> dict[str, Any]:
    payload = notification.event.payload
    value = payload.get(key) if isinstance(payload, dict) else None
    return value if isinstance(value, dict) else {}


class NotificationSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(source="event.kind", choices=EventKind.choices)
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=NotificationReason.choices),
        help_text="Every reason the event concerns you, most direct first.",
    )
    unread = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField(
        help_text="Who did it; a review-link guest as {id: null, username: null, display_name: "
        '"guest: <name>", guest: {id, name}}; null for the media pipeline.'
    )
    project = serializers.SerializerMethodField()
    version = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()
    link = serializers.SerializerMethodField(help_text="The review page at the exact frame and thread.")
    summary = serializers.SerializerMethodField(
        help_text='What happened, after the actor\'s name (e.g. "chose this take over v1"), as mail says it.'
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "reasons",
            "created_at",
            "read_at",
            "unread",
            "actor",
            "project",
            "version",
            "comment",
            "link",
            "summary",
        ]
        read_only_fields = fields

    @extend_schema_field(UserSerializer(allow_null=True))
    def get_actor(self, notification: Notification) -> dict[str, Any] | None:
        event = notification.event
        if event.actor is not None:
            return UserSerializer(event.actor).data
        guest = guest_of_event(event.payload)
        if guest is None:
            return None
        # Shown like a member, as a guest's notes are (CommentSerializer.author), with the
        # guest's id so two guests of the same name can be told apart.
        return {"id": None, "username": None, "display_name": f"guest: {guest['name']}", "guest": guest}

    def get_summary(self, notification: Notification) -> str:
        from reviews.notifications.email import what_happened

        return what_happened(notification)

    def get_unread(self, notification: Notification) -> bool:
        return notification.read_at is None

    @extend_schema_field(
        {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_project(self, notification: Notification) -> dict[str, Any]:
        return {"id": notification.project_id, "name": notification.project.name}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "number": {"type": "integer"},
                "shot": {"type": "object"},
            },
        }
    )
    def get_version(self, notification: Notification) -> dict[str, Any] | None:
        version = _quoted(notification, "version")
        if not version:
            return None
        shot = _quoted(notification, "shot")
        return {
            "id": notification.version_id,
            "number": version.get("number"),
            "shot": {"id": shot.get("id"), "code": shot.get("code")},
        }

    @extend_schema_field({"type": "object", "nullable": True})
    def get_comment(self, notification: Notification) -> dict[str, Any] | None:
        comment = _quoted(notification, "comment")
        if not comment:
            return None
        return {key: comment.get(key) for key in ("id", "thread", "frame", "frame_end", "excerpt")}

    def get_link(self, notification: Notification) -> str:
        from reviews.notifications.email import frame_link

        return frame_link(notification, absolute=False)


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only unread (true) or read (false)."
    )
    project = WholeNumberField(min_value=1, max_value=2**63 - 1, required=False)
    version = WholeNumberField(min_value=1, max_value=2**63 - 1, required=False)
    group = serializers.ChoiceField(
        choices=["version"],
        required=False,
        help_text="`version`: one entry per version, newest activity first.",
    )


class ReadAllSerializer(serializers.Serializer):
    project = WholeNumberField(min_value=1, max_value=2**63 - 1, required=False)
    version = WholeNumberField(min_value=1, max_value=2**63 - 1, required=False)


class NotificationSettingsSerializer(serializers.ModelSerializer):
    level = serializers.ChoiceField(
        choices=NotificationLevel.choices,
        required=False,
        help_text="In the inbox: `all`, `mentions` (mentions and replies only) or `none`.",
    )
    email_level = serializers.ChoiceField(
        choices=NotificationLevel.choices,
        required=False,
        help_text="By email, the same levels; mail only ever carries what the inbox gets, so "
        "`level: none` means no mail either (see `email_effective_level`).",
    )
    email_effective_level = serializers.SerializerMethodField(
        help_text="What mail actually follows: the stricter of `level` and `email_level`."
    )

    class Meta:
        model = NotificationSettings
        fields = ["project", "level", "email_level", "email_effective_level"]
        read_only_fields = ["project", "email_effective_level"]

    @extend_schema_field(serializers.ChoiceField(choices=NotificationLevel.choices))
    def get_email_effective_level(self, settings: NotificationSettings) -> str:
        order = [NotificationLevel.NONE, NotificationLevel.MENTIONS, NotificationLevel.ALL]
        return min(settings.level, settings.email_level, key=order.index)


class DigestPreferencesSerializer(serializers.ModelSerializer):
    frequency = serializers.ChoiceField(choices=DigestFrequency.choices, required=False)
    hour = serializers.IntegerField(
        min_value=0,
        max_value=23,
        required=False,
        help_text="Hour of the day a daily digest is sent, in time_zone.",
    )
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA name, e.g. Europe/Paris."
    )

    class Meta:
        model = DigestPreferences
        fields = ["frequency", "hour", "time_zone", "last_sent_at"]
        read_only_fields = ["last_sent_at"]

    def validate_time_zone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones() or value in NOT_PLACES:
            raise serializers.ValidationError(
                f"{value!r} is not a time zone; use an IANA name such as Europe/Paris."
            )
        return value


class WatchSerializer(serializers.Serializer):
    shot = serializers.IntegerField()
    watching = serializers.BooleanField(
        help_text="Whether you hear of this shot's new versions and status changes."
    )
    explicit = serializers.BooleanField(
        help_text="false: watching because you commented or uploaded there (or not watching by default)."
    )

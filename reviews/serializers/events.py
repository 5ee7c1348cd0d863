"""Serializers for the event record, as the activity feed shows it."""

from __future__ import annotations

from rest_framework import serializers

from reviews.models import Event, EventKind
from reviews.serializers.fields import WholeNumberField
from reviews.serializers.users import UserSerializer


class EventSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(source="subject_type")
    id = serializers.IntegerField(source="subject_id")


class EventSerializer(serializers.ModelSerializer):
    actor = UserSerializer(allow_null=True, help_text="Who did it; null for the media pipeline.")
    subject = EventSubjectSerializer(
        source="*", help_text="What it happened to: comment, version or user, by id (it may be gone since)."
    )
    payload = serializers.JSONField(help_text="What a reader needs, per kind (see README).")

    class Meta:
        model = Event
        fields = ["id", "kind", "created_at", "actor", "subject", "payload"]
        read_only_fields = fields


class ActivityQuerySerializer(serializers.Serializer):
    kind = serializers.ListField(
        child=serializers.ChoiceField(choices=EventKind.choices),
        required=False,
        help_text="Only events of these kinds (repeat the parameter for several).",
    )
    after = WholeNumberField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        help_text="Only events with a greater id (to catch up).",
    )

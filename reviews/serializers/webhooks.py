"""Shapes of webhooks and their delivery log."""

from __future__ import annotations

from rest_framework import serializers

from reviews.models import Webhook, WebhookAttempt, WebhookDelivery
from reviews.webhooks import EVENT_TYPES


class WebhookSerializer(serializers.ModelSerializer):
    """A webhook as directors read it: never its secret."""

    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), max_length=64)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "url", "event_types", "description", "active", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to creating a webhook or rotating its secret: the only time the secret is shown."""

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookSerializer.Meta.read_only_fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "started_at", "duration_ms", "response_code", "error"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One delivery and each of its tries; ``body`` is the JSON text that was signed."""

    attempts = WebhookAttemptSerializer(source="attempt_log", many=True, read_only=True)
    event = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_type",
            "state",
            "redelivery_of",
            "created_at",
            "delivered_at",
            "next_attempt_at",
            "attempts",
            "body",
        ]

    def get_event(self, delivery: WebhookDelivery) -> str | None:
        """The ``id`` the body carries (``evt_<n>``); null for a test event."""
        return None if delivery.event_id is None else f"evt_{delivery.event_id}"

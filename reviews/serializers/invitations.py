"""Shapes of invitations and of the account owner's own settings."""

from __future__ import annotations

from rest_framework import serializers

from reviews.models import Invitation, Role
from reviews.serializers.users import display_name


class InvitationSerializer(serializers.ModelSerializer):
    """An open invitation as its project's directors see it; the token is never shown."""

    state = serializers.ChoiceField(choices=["pending", "expired"], read_only=True)
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "state", "invited_by", "created_at", "sent_at", "expires_at"]
        read_only_fields = fields

    def get_invited_by(self, invitation: Invitation) -> str | None:
        return display_name(invitation.invited_by) if invitation.invited_by else None


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices)


class MeUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    password = serializers.CharField(
        required=False,
        style={"input_type": "password"},
        write_only=True,
        help_text="Your current password: needed to change `email`, where password resets are sent.",
    )

    def validate(self, attrs: dict) -> dict:
        if not {"display_name", "email"} & attrs.keys():
            raise serializers.ValidationError({"detail": "Send `display_name`, `email` or both."})
        return attrs

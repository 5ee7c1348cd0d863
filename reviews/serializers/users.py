"""Serializers for users and the sign-in token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from reviews.accounts import check_new_account

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
        # Uniqueness is Django's rule, checked in validate(): after NFKC, in any case.
        extra_kwargs = {"username": {"validators": [*User._meta.get_field("username").validators]}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            attrs["username"] = check_new_account(**attrs)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return attrs


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"})
    new_password = serializers.CharField(style={"input_type": "password"})

    def validate_new_password(self, password: str) -> str:
        try:
            validate_password(password, user=self.context["user"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return password

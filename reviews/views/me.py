"""Views for the signed-in person's own account: its name and email, and signing out everywhere."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import email_confirm, profiles
from reviews.email_change import email_change_check
from reviews.serializers import UserSerializer
from reviews.serializers.invitations import MeUpdateSerializer
from reviews.views.users import MeView as ContractMeView
from reviews.views.validation import validated


class AccountSerializer(UserSerializer):
    """The owner's view of their account: the contract's user, plus the email only they see.

    ``pending_email``: an address asked for whose confirmation link (mailed to it) has not
    been followed yet, else null. It is not the account's address until confirmed.
    """

    pending_email = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "email", "pending_email"]

    def get_pending_email(self, user: Any) -> str | None:
        return email_confirm.pending_email(user)


class MeView(ContractMeView):
    # The password (for an email change) goes through the sign-in lockout: 429 in the schema.
    secret_checked_methods = ("patch",)

    @extend_schema(responses=AccountSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        """Your account: the contract's user, plus your `email` and any `pending_email`."""
        return Response(AccountSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=AccountSerializer, tags=["auth"])
    def patch(self, request: Request) -> Response:
        """Change your display name and/or email; an email change needs your current `password`.

        A new email is not set at once: a confirmation link is mailed to it, and until it is
        followed the answer shows it as `pending_email` while `email` stays the old one.

        An email already used by another account is refused (400), and such refusals count
        towards a lockout, so addresses cannot be tried in bulk.
        """
        data = validated(MeUpdateSerializer, request.data)
        user = request.user
        try:
            email_change_check(
                request=request, user=user, email=data.get("email"), password=data.get("password", "")
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        email_confirm.account_save(user=user, display_name=data.get("display_name"), email=data.get("email"))
        return Response(AccountSerializer(user).data)


class SignOutEverywhereView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Revoke every token and end every session of your account, this one included."""
        profiles.account_sign_out_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

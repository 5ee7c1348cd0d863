"""Views for the signed-in person's own account: its name and email, and signing out everywhere."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import accounts, profiles
from reviews.serializers import UserSerializer
from reviews.serializers.invitations import MeUpdateSerializer
from reviews.throttling import guard_secret, raise_if_locked_out
from reviews.views.users import MeView as ContractMeView
from reviews.views.validation import validated


class AccountSerializer(UserSerializer):
    """The owner's view of their account: the contract's user, plus the email only they see."""

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "email"]


class MeView(ContractMeView):
    # The password (for an email change) goes through the sign-in lockout: 429 in the schema.
    secret_checked_methods = ("patch",)

    @extend_schema(request=MeUpdateSerializer, responses=AccountSerializer, tags=["auth"])
    def patch(self, request: Request) -> Response:
        """Change your display name and/or email; an email change needs your current `password`.

        An email already used by another account is refused (400), and such refusals count
        towards a lockout, so addresses cannot be tried in bulk.
        """
        data = validated(MeUpdateSerializer, request.data)
        user = request.user
        if "email" in data and data["email"].strip().lower() != user.email.lower():
            if not accounts.password_is_current(request, user, data.get("password", "")):
                raise_if_locked_out(request)
                raise serializers.ValidationError(
                    {"password": ["Give your current password to change the address resets are sent to."]}
                )
            free = guard_secret(
                request,
                scope="email-change",
                key=f"user:{user.pk}",
                check=lambda: not profiles.email_taken(data["email"].strip(), exclude_pk=user.pk),
            )
            if not free:
                raise serializers.ValidationError(
                    {"email": ["Another account uses this address; each has its own."]}
                )
        profiles.account_update(user=user, display_name=data.get("display_name"), email=data.get("email"))
        return Response(AccountSerializer(user).data)


class SignOutEverywhereView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Revoke every token and end every session of your account, this one included."""
        profiles.account_sign_out_everywhere(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Views for signing in and out and for user accounts."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from reviews import accounts
from reviews.serializers import (
    PasswordChangeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from reviews.throttling import client_address, raise_if_locked_out
from reviews.views.validation import validated

User = get_user_model()


# --- auth -------------------------------------------------------------------


class ClientAddressRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, keyed for anonymous clients by the address lockouts use."""

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientAddressRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = validated(TokenRequestSerializer, request.data)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise_if_locked_out(request)
            raise serializers.ValidationError({"detail": "The username or password is wrong."})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Revoke the token this request was made with (every client using it is signed out)."""
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=UserSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)


class PasswordChangeView(APIView):
    # The old password goes through the sign-in lockout: 429 in the schema (reviews.schema).
    secret_checked_methods = ("post",)

    @extend_schema(request=PasswordChangeSerializer, responses=TokenSerializer, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Change your password: every token and other session of yours is revoked; this answer holds a new token.

        Wrong old passwords count towards the same lockout as signing in.
        """
        data = validated(PasswordChangeSerializer, request.data, user=request.user)
        if not accounts.password_is_current(request, request.user, data["old_password"]):
            raise_if_locked_out(request)
            raise serializers.ValidationError({"old_password": ["This is not your current password."]})
        accounts.password_change(request=request, user=request.user, password=data["new_password"])
        # The change revoked every token of the account; this client carries on with a new one.
        token = Token.objects.create(user=request.user)
        return Response({"token": token.key})


class UserListView(generics.ListCreateAPIView):
    """Staff create accounts; people then sign in and are added to projects by a director."""

    permission_classes = [IsAdminUser]
    queryset = User.objects.order_by("username")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return UserCreateSerializer if self.request.method == "POST" else UserSerializer

    def perform_create(self, serializer: serializers.Serializer) -> None:
        serializer.instance = User.objects.create_user(**serializer.validated_data)

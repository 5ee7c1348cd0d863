"""Shapes of the API contract (shared/API.md). No side effects: writes go through services."""

from __future__ import annotations

from reviews.serializers.comments import (
    CommentCreateSerializer,
    CommentSerializer,
    CommentUpdateSerializer,
)
from reviews.serializers.events import ActivityQuerySerializer, EventSerializer
from reviews.serializers.projects import (
    MemberCreateSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    ProjectSerializer,
    ShotSerializer,
)
from reviews.serializers.users import (
    PasswordChangeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
)
from reviews.serializers.versions import (
    VersionSerializer,
    VersionUpdateSerializer,
    VersionUploadSerializer,
)

__all__ = [
    "ActivityQuerySerializer",
    "CommentCreateSerializer",
    "CommentSerializer",
    "CommentUpdateSerializer",
    "EventSerializer",
    "MemberCreateSerializer",
    "MemberSerializer",
    "MemberUpdateSerializer",
    "PasswordChangeSerializer",
    "ProjectSerializer",
    "ShotSerializer",
    "TokenRequestSerializer",
    "TokenSerializer",
    "UserCreateSerializer",
    "UserSerializer",
    "VersionSerializer",
    "VersionUpdateSerializer",
    "VersionUploadSerializer",
]

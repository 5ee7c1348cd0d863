"""The REST API: validate input, call one service, serialize the result.

Objects come from the ``selectors`` querysets, so anything outside the user's
projects is a 404; what a member may do is checked with ``permissions.require``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from reviews import media_files, selectors, services
from reviews.models import Comment, Membership, Project, Shot, Version
from reviews.permissions import Action, require
from reviews.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    CommentUpdateSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    ProjectSerializer,
    ShotSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    VersionSerializer,
    VersionUpdateSerializer,
    VersionUploadSerializer,
)

User = get_user_model()


def _valid(serializer_class: type[serializers.Serializer], data: Any, **context: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- auth -------------------------------------------------------------------


class TokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    @extend_schema(request=TokenRequestSerializer, responses=TokenSerializer, tags=["auth"])
    def post(self, request: Request) -> Response:
        data = _valid(TokenRequestSerializer, request.data)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
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


class UserListView(generics.ListCreateAPIView):
    """Staff create accounts; people then sign in and are added to projects by a director."""

    permission_classes = [IsAdminUser]
    queryset = User.objects.order_by("username")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return UserCreateSerializer if self.request.method == "POST" else UserSerializer

    def perform_create(self, serializer: serializers.Serializer) -> None:
        password = serializer.validated_data.pop("password")
        user = serializer.save()
        user.set_password(password)
        user.save(update_fields=["password"])


# --- projects and members ---------------------------------------------------


class ProjectListView(generics.ListCreateAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.projects_for(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _valid(ProjectSerializer, request.data)
        project = services.project_create(created_by=request.user, **data)
        project = self.get_queryset().get(pk=project.pk)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ProjectSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.projects_for(self.request.user)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        require(request.user, project.my_role, Action.MANAGE_MEMBERS)
        serializer = ProjectSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.project_update(project=project, **serializer.validated_data)
        return Response(ProjectSerializer(project).data)

    def perform_destroy(self, project: Project) -> None:
        require(self.request.user, project.my_role, Action.MANAGE_MEMBERS)
        services.project_delete(project=project)


def _project(request: Request, project_id: int) -> Project:
    return get_object_or_404(selectors.projects_for(request.user), pk=project_id)


class MemberListView(generics.ListCreateAPIView):
    serializer_class = MemberSerializer
    # Names the model for the schema; get_queryset builds the real one from the URL.
    queryset = Membership.objects.none()

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.memberships_of(_project(self.request, self.kwargs["project_id"]))

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = _project(request, project_id)
        require(request.user, project.my_role, Action.MANAGE_MEMBERS)
        data = _valid(MemberCreateSerializer, request.data)
        membership = services.member_add(project=project, **data)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    def _membership(self, request: Request, project_id: int, user_id: int) -> tuple[Project, Membership]:
        project = _project(request, project_id)
        return project, get_object_or_404(selectors.memberships_of(project), user_id=user_id)

    @extend_schema(responses=MemberSerializer)
    def get(self, request: Request, project_id: int, user_id: int) -> Response:
        _, membership = self._membership(request, project_id, user_id)
        return Response(MemberSerializer(membership).data)

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        project, membership = self._membership(request, project_id, user_id)
        require(request.user, project.my_role, Action.MANAGE_MEMBERS)
        data = _valid(MemberUpdateSerializer, request.data)
        membership = services.member_update(membership=membership, role=data["role"])
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        project, membership = self._membership(request, project_id, user_id)
        # Anyone may leave a project; removing someone else is a director's call.
        if membership.user_id != request.user.pk:
            require(request.user, project.my_role, Action.MANAGE_MEMBERS)
        services.member_remove(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- shots ------------------------------------------------------------------


class ShotListView(generics.ListCreateAPIView):
    serializer_class = ShotSerializer
    queryset = Shot.objects.none()  # for the schema, as above

    def get_queryset(self) -> QuerySet[Shot]:
        project = _project(self.request, self.kwargs["project_id"])
        return selectors.shots_for(self.request.user).filter(project=project)

    def create(self, request: Request, project_id: int) -> Response:
        project = _project(request, project_id)
        require(request.user, project.my_role, Action.MANAGE_SHOTS)
        data = _valid(ShotSerializer, request.data, project=project)
        shot = services.shot_create(project=project, **data)
        return Response(
            ShotSerializer(shot, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class ShotDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ShotSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Shot]:
        return selectors.shots_for(self.request.user)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shot = self.get_object()
        require(request.user, shot.my_role, Action.MANAGE_SHOTS)
        serializer = ShotSerializer(
            shot, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.shot_update(shot=shot, **serializer.validated_data)
        return Response(ShotSerializer(shot, context=self.get_serializer_context()).data)

    def perform_destroy(self, shot: Shot) -> None:
        require(self.request.user, shot.my_role, Action.MANAGE_SHOTS)
        services.shot_delete(shot=shot)


# --- versions ---------------------------------------------------------------


class VersionListView(generics.ListCreateAPIView):
    serializer_class = VersionSerializer
    queryset = Version.objects.none()  # for the schema, as above
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ScopedRateThrottle]

    def get_throttles(self) -> list:
        # Only uploads are throttled; reading the list is not.
        return super().get_throttles() if self.request.method == "POST" else []

    throttle_scope = "upload"

    def _shot(self) -> Shot:
        return get_object_or_404(selectors.shots_for(self.request.user), pk=self.kwargs["shot_id"])

    def get_queryset(self) -> QuerySet[Version]:
        return selectors.versions_for(self.request.user).filter(shot=self._shot()).order_by("number")

    @extend_schema(
        request={"multipart/form-data": VersionUploadSerializer}, responses={201: VersionSerializer}
    )
    def post(self, request: Request, shot_id: int) -> Response:
        shot = self._shot()
        require(request.user, shot.my_role, Action.MANAGE_SHOTS)
        data = _valid(VersionUploadSerializer, request.data)
        version = services.version_upload(shot=shot, uploaded_by=request.user, **data)
        version = selectors.versions_for(request.user).get(pk=version.pk)
        return Response(
            VersionSerializer(version, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class VersionDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = VersionSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Version]:
        return selectors.versions_for(self.request.user)

    @extend_schema(request=VersionUpdateSerializer, responses=VersionSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        version = self.get_object()
        data = _valid(VersionUpdateSerializer, request.data)
        if "review_status" in data:
            require(request.user, version.my_role, Action.SET_REVIEW_STATUS)
        if data.keys() - {"review_status"}:
            require(request.user, version.my_role, Action.MANAGE_SHOTS)
        if data:
            services.version_update(version=version, **data)
        return Response(VersionSerializer(version, context=self.get_serializer_context()).data)

    def perform_destroy(self, version: Version) -> None:
        require(self.request.user, version.my_role, Action.MANAGE_SHOTS)
        services.version_delete(version=version)


class VersionReprocessView(APIView):
    @extend_schema(request=None, responses={202: VersionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Run the media pipeline again from the original upload."""
        version = get_object_or_404(selectors.versions_for(request.user), pk=pk)
        require(request.user, version.my_role, Action.MANAGE_SHOTS)
        services.version_reprocess(version=version)
        return Response(
            VersionSerializer(version, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


# What the generated files are served as (reviews.media_files.FILES).
_MEDIA_TYPES = ("video/mp4", "image/jpeg")


class MediaFileView(APIView):
    """A generated file behind a signed link (see reviews.media_files)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Range",
                str,
                OpenApiParameter.HEADER,
                description="One byte range, e.g. bytes=0-1023 (a video element seeks with it).",
            )
        ],
        responses={
            **{(code, kind): OpenApiTypes.BINARY for code in (200, 206) for kind in _MEDIA_TYPES},
            (200, "text/vtt"): OpenApiTypes.STR,
            416: OpenApiResponse(description="The range starts past the end of the file."),
        },
        tags=["media"],
    )
    def get(self, request: Request, token: str, filename: str) -> HttpResponse:
        version, kind = media_files.resolve(token, filename)
        if kind == "thumbnails":
            return media_files.thumbnails_response(version)
        return media_files.file_response(
            request,
            media_files.output_path(version, kind),
            download_name=media_files.download_name(version, kind),
        )


# --- comments ---------------------------------------------------------------


def _comment_context(version: Version, **extra: Any) -> dict[str, Any]:
    return {"rate": version.timecode_rate, "roles": selectors.author_roles(version.shot.project_id), **extra}


class CommentListView(generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()  # for the schema, as above

    def _version(self) -> Version:
        return get_object_or_404(selectors.versions_for(self.request.user), pk=self.kwargs["version_id"])

    @extend_schema(
        parameters=[
            OpenApiParameter("resolved", bool, description="Only threads that are (not) resolved."),
            OpenApiParameter("author", str, description="Only threads started by this username."),
        ]
    )
    def get(self, request: Request, version_id: int) -> Response:
        """Top-level comments in review order, each with its whole reply tree."""
        version = self._version()
        resolved = request.query_params.get("resolved")
        if resolved not in (None, "true", "false"):
            raise serializers.ValidationError({"resolved": ["Use resolved=true or resolved=false."]})
        author = request.query_params.get("author")
        if author is not None and "\x00" in author:
            # PostgreSQL cannot compare text holding NUL; no username holds one.
            raise serializers.ValidationError({"author": ["Null characters are not allowed."]})
        threads = selectors.comment_threads(
            version=version,
            resolved=None if resolved is None else resolved == "true",
            author=author,
        )
        page = self.paginate_queryset(threads)
        selectors.attach_replies(page)
        context = _comment_context(version, request=request)
        return self.get_paginated_response(CommentSerializer(page, many=True, context=context).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, version_id: int) -> Response:
        version = self._version()
        require(request.user, version.my_role, Action.COMMENT)
        data = _valid(
            CommentCreateSerializer,
            request.data,
            rate=version.timecode_rate,
            frame_count=version.frame_count,
            user=request.user,
        )
        comment = services.comment_create(version=version, author=request.user, **data)
        return Response(
            CommentSerializer(comment, context=_comment_context(version)).data, status=status.HTTP_201_CREATED
        )


class CommentDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = CommentSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Comment]:
        return selectors.comments_for(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        comment = self.get_object()
        if comment.parent_id is None:
            selectors.attach_replies([comment])
        return Response(CommentSerializer(comment, context=_comment_context(comment.version)).data)

    @extend_schema(request=CommentUpdateSerializer, responses=CommentSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        comment = self.get_object()
        data = _valid(CommentUpdateSerializer, request.data)
        if "resolved" in data:
            require(request.user, comment.my_role, Action.RESOLVE)
        if data.keys() & {"body", "annotation"} and comment.author_id != request.user.pk:
            raise PermissionDenied("Only its author can edit a comment's text or drawing.")
        comment = services.comment_update(comment=comment, by=request.user, **data)
        return Response(CommentSerializer(comment, context=_comment_context(comment.version)).data)

    def perform_destroy(self, comment: Comment) -> None:
        if comment.author_id != self.request.user.pk:
            require(self.request.user, comment.my_role, Action.MODERATE)
        services.comment_delete(comment=comment)


class ApiRootView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        def link(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "projects": link("project-list"),
                "me": link("me"),
                "token": link("auth-token"),
                "schema": link("schema"),
                "docs": link("docs"),
            }
        )

"""Views for projects, their members and their shots."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import permissions, selectors, services
from reviews.models import Membership, Project, Shot
from reviews.permissions import Action
from reviews.serializers import (
    MemberCreateSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    ProjectSerializer,
    ShotSerializer,
)
from reviews.throttling import guard_secret
from reviews.views.validation import validated

# --- projects and members ---------------------------------------------------


class ProjectListView(generics.ListCreateAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.projects_for(self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ProjectSerializer, request.data)
        project = services.project_create(created_by=request.user, **data)
        project = self.get_queryset().get(pk=project.pk)
        return Response(
            ProjectSerializer(project, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class ProjectDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ProjectSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Project]:
        return selectors.projects_for(self.request.user)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        permissions.require(selectors.principal_in(request.user, project), Action.MANAGE_MEMBERS)
        serializer = ProjectSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.project_update(project=project, **serializer.validated_data)
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)

    def perform_destroy(self, project: Project) -> None:
        permissions.require(selectors.principal_in(self.request.user, project), Action.MANAGE_MEMBERS)
        services.project_delete(project=project)


def _project(request: Request, project_id: int) -> Project:
    return get_object_or_404(selectors.projects_for(request.user), pk=project_id)


class MemberListView(generics.ListCreateAPIView):
    serializer_class = MemberSerializer
    # Names the model for the schema; get_queryset builds the real one from the URL.
    queryset = Membership.objects.none()
    # Refused adds count towards a lockout, so accounts cannot be guessed in bulk: 429 in the schema.
    secret_checked_methods = ("post",)

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.memberships_of(_project(self.request, self.kwargs["project_id"]))

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = _project(request, project_id)
        permissions.require(selectors.principal_in(request.user, project), Action.MANAGE_MEMBERS)
        serializer = MemberCreateSerializer(data=request.data, context={"requester": request.user})
        # A refused add is a guess at who has an account: counted per director and per address.
        guard_secret(request, scope="member-add", key=f"user:{request.user.pk}", check=serializer.is_valid)
        serializer.is_valid(raise_exception=True)
        membership = services.member_add(project=project, by=request.user, **serializer.validated_data)
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
        permissions.require(selectors.principal_in(request.user, project), Action.MANAGE_MEMBERS)
        data = validated(MemberUpdateSerializer, request.data)
        membership = services.member_update(membership=membership, role=data["role"], by=request.user)
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        project, membership = self._membership(request, project_id, user_id)
        permissions.require_remove_member(selectors.principal_in(request.user, project), membership)
        services.member_remove(membership=membership, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- shots ------------------------------------------------------------------


class ShotListView(generics.ListCreateAPIView):
    serializer_class = ShotSerializer
    queryset = Shot.objects.none()  # for the schema, as above

    def get_queryset(self) -> QuerySet[Shot]:
        project = _project(self.request, self.kwargs["project_id"])
        return selectors.shot_overviews_for(self.request.user).filter(project=project)

    def create(self, request: Request, project_id: int) -> Response:
        project = _project(request, project_id)
        permissions.require(selectors.principal_in(request.user, project), Action.MANAGE_SHOTS)
        data = validated(ShotSerializer, request.data, project=project)
        shot = services.shot_create(project=project, **data)
        return Response(
            ShotSerializer(shot, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class ShotDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ShotSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Shot]:
        return selectors.shot_overviews_for(self.request.user)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shot = self.get_object()
        permissions.require(selectors.principal_in(request.user, shot), Action.MANAGE_SHOTS)
        serializer = ShotSerializer(
            shot, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.shot_update(shot=shot, **serializer.validated_data)
        return Response(ShotSerializer(shot, context=self.get_serializer_context()).data)

    def perform_destroy(self, shot: Shot) -> None:
        permissions.require(selectors.principal_in(self.request.user, shot), Action.MANAGE_SHOTS)
        services.shot_delete(shot=shot)

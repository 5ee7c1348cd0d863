"""Views for the comments on a version."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import selectors, services
from reviews.models import Comment, Version
from reviews.permissions import Action, require
from reviews.serializers import CommentCreateSerializer, CommentSerializer, CommentUpdateSerializer
from reviews.views.validation import validated

# --- comments ---------------------------------------------------------------


def _comment_context(version: Version, **extra: Any) -> dict[str, Any]:
    return {"rate": version.timecode_rate, "roles": selectors.author_roles(version.shot.project_id), **extra}


class CommentListView(generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()  # for the schema, as in projects.MemberListView

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
        data = validated(
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
        data = validated(CommentUpdateSerializer, request.data)
        if "resolved" in data:
            require(request.user, comment.my_role, Action.RESOLVE)
        if data.keys() & {"body", "annotation"} and comment.author_id != request.user.pk:
            raise PermissionDenied("Only its author can edit a comment's text or drawing.")
        comment = services.comment_update(comment=comment, by=request.user, **data)
        return Response(CommentSerializer(comment, context=_comment_context(comment.version)).data)

    def perform_destroy(self, comment: Comment) -> None:
        if comment.author_id != self.request.user.pk:
            require(self.request.user, comment.my_role, Action.MODERATE)
        services.comment_delete(comment=comment, by=self.request.user)

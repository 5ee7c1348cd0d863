"""Views for the comments on a version."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import carry_over, permissions, selectors, services
from reviews.filters import CommentFilter
from reviews.models import Comment, Version
from reviews.permissions import Action, Principal
from reviews.serializers import CommentCreateSerializer, CommentSerializer, CommentUpdateSerializer
from reviews.views.validation import validated

# --- comments ---------------------------------------------------------------


def _comment_context(version: Version, principal: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "rate": version.timecode_rate,
        "roles": selectors.author_roles(version.shot.project_id),
        "principal": principal,
        **extra,
    }


class CommentListView(generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()  # for the schema, as in projects.MemberListView
    filterset_class = CommentFilter

    def _version(self) -> Version:
        return get_object_or_404(selectors.versions_for(self.request.user), pk=self.kwargs["version_id"])

    def get(self, request: Request, version_id: int) -> Response:
        """Top-level comments in review order, each with its whole reply tree."""
        version = self._version()
        threads = self.filter_queryset(selectors.comment_threads(version=version))
        page = self.paginate_queryset(threads)
        selectors.attach_replies(page)
        context = _comment_context(version, selectors.principal_in(request.user, version), request=request)
        return self.get_paginated_response(CommentSerializer(page, many=True, context=context).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, version_id: int) -> Response:
        version = self._version()
        principal = selectors.principal_in(request.user, version)
        permissions.require(principal, Action.COMMENT)
        data = validated(
            CommentCreateSerializer,
            request.data,
            rate=version.timecode_rate,
            frame_count=version.frame_count,
            user=request.user,
        )
        # A reply to a thread carried from the previous take joins that thread, on its version.
        version = carry_over.reply_version(version=version, parent=data["parent"])
        comment = services.comment_create(version=version, author=request.user, **data)
        return Response(
            CommentSerializer(comment, context=_comment_context(version, principal)).data,
            status=status.HTTP_201_CREATED,
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
        context = _comment_context(comment.version, selectors.principal_in(request.user, comment))
        return Response(CommentSerializer(comment, context=context).data)

    @extend_schema(request=CommentUpdateSerializer, responses=CommentSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        comment = self.get_object()
        principal = selectors.principal_in(request.user, comment)
        data = validated(CommentUpdateSerializer, request.data)
        if "resolved" in data:
            permissions.require_resolve(principal, comment)
        if data.keys() & {"body", "annotation", "category", "severity"}:
            permissions.require_edit_comment(principal, comment)
        if "internal" in data:
            permissions.require_mark_internal(principal, comment)
            if comment.parent_id is not None:
                raise ValidationError(
                    {"internal": ["A reply is internal when its thread is; change the note."]}
                )
        comment = services.comment_update(comment=comment, by=request.user, **data)
        return Response(CommentSerializer(comment, context=_comment_context(comment.version, principal)).data)

    def perform_destroy(self, comment: Comment) -> None:
        permissions.require_delete_comment(selectors.principal_in(self.request.user, comment), comment)
        services.comment_delete(comment=comment, by=self.request.user)

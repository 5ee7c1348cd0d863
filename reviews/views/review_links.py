"""Views for a project's review links: the director creates, lists, changes and revokes them,
and sees who opened each. Anyone else in the project gets 403; outside it, 404."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import permissions, review_links, selectors
from reviews.models import Comment, Project, ReviewLink, ReviewLinkGuest
from reviews.serializers.review_links import (
    ReviewLinkNoteSerializer,
    ReviewLinkOpenSerializer,
    ReviewLinkSerializer,
    ReviewLinkWriteSerializer,
)
from reviews.views.validation import validated


def _project(request: Request, project_id: int) -> Project:
    project = get_object_or_404(selectors.projects_for(request.user), pk=project_id)
    permissions.require_share(selectors.principal_in(request.user, project))
    return project


def _link(request: Request, project_id: int, pk: int) -> ReviewLink:
    project = _project(request, project_id)
    return get_object_or_404(review_links.links_of(project), pk=pk)


class ReviewLinkListView(generics.ListCreateAPIView):
    serializer_class = ReviewLinkSerializer
    queryset = ReviewLink.objects.none()  # for the schema

    def get_queryset(self) -> Any:
        return review_links.links_of(_project(self.request, self.kwargs["project_id"]))

    @extend_schema(request=ReviewLinkWriteSerializer, responses={201: ReviewLinkSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Share versions with people who have no account. The answer holds the link's ``token`` and
        ``url``: this once only, so copy them now."""
        project = _project(request, project_id)
        data = validated(ReviewLinkWriteSerializer, request.data, project=project)
        data.pop("revoked_at", None)
        link, token = review_links.review_link_create(project=project, by=request.user, **data)
        link = review_links.links_of(project).get(pk=link.pk)
        return Response(
            ReviewLinkSerializer(link, context={"token": token}).data, status=status.HTTP_201_CREATED
        )


class ReviewLinkDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ReviewLinkSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self) -> ReviewLink:
        return _link(self.request, self.kwargs["project_id"], self.kwargs["pk"])

    @extend_schema(request=ReviewLinkWriteSerializer, responses=ReviewLinkSerializer)
    def patch(self, request: Request, project_id: int, pk: int) -> Response:
        """Change the label, expiry, permissions, passphrase or versions; ``revoked_at`` revokes."""
        link = self.get_object()
        data = validated(ReviewLinkWriteSerializer, request.data, project=link.project)
        review_links.review_link_update(link=link, by=request.user, **data)
        return Response(ReviewLinkSerializer(self.get_object()).data)

    def perform_destroy(self, link: ReviewLink) -> None:
        """Revoke the link (kept, with its opens and its guests' notes)."""
        review_links.review_link_revoke(link=link, by=self.request.user)


class ReviewLinkOpensView(generics.ListAPIView):
    """Who opened the link, when, and how many notes each wrote (their notes: the version's
    comments with ``?guest=true``)."""

    serializer_class = ReviewLinkOpenSerializer
    queryset = ReviewLinkGuest.objects.none()  # for the schema

    def get_queryset(self) -> Any:
        return review_links.opens_of(_link(self.request, self.kwargs["project_id"], self.kwargs["link_id"]))


class ReviewLinkNotesView(generics.ListAPIView):
    """The notes and replies the link's guests wrote, newest first, each with the review page at
    its frame (``link``)."""

    serializer_class = ReviewLinkNoteSerializer
    queryset = Comment.objects.none()  # for the schema

    def get_queryset(self) -> Any:
        return review_links.notes_of(_link(self.request, self.kwargs["project_id"], self.kwargs["link_id"]))

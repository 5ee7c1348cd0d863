"""The API as a guest holding a review link sees it, under ``/api/v1/guest/``.

The paths mirror the members' (``versions/{id}/``, ``versions/{id}/comments/``,
``comments/{id}/``, ``shots/{id}/versions/``, ``projects/{id}/``), so the review
page works unchanged for guests with another API base. Every object comes from
``reviews.review_links`` scoped to the session's link, so anything else is a 404;
the principal is ``Principal.for_guest`` and ``permissions`` decides the rest.
Members' tokens and sessions are not read here: these views know only guests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet, Value
from django.db.models.fields import CharField
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from reviews import permissions, review_links, selectors, services
from reviews.authentication import SessionAuthentication
from reviews.filters import CommentFilter
from reviews.guest_session import NO_GUEST, REVOKED, guest_of, touch
from reviews.models import Comment, ReviewLinkGuest, Version
from reviews.permissions import Action, Principal
from reviews.serializers import CommentCreateSerializer, CommentSerializer, CommentUpdateSerializer
from reviews.serializers.versions import OriginalDownloadSerializer, VersionSerializer, original_download
from reviews.views.notes import NoteTypesView
from reviews.views.throttles import GuestWriteAddressThrottle, GuestWriteThrottle
from reviews.views.validation import validated


class GuestSessionAuthentication(SessionAuthentication):
    """The guest of the session as ``request.auth`` (``request.user`` stays anonymous), with the
    same CSRF check as a member's session; 403 once the link is revoked or expired."""

    def authenticate(self, request: Request) -> tuple[Any, ReviewLinkGuest] | None:
        guest = guest_of(request._request)
        if guest is None:
            return None
        if not guest.link.is_live():
            raise exceptions.PermissionDenied(REVOKED)
        self.enforce_csrf(request)
        touch(guest)
        return AnonymousUser(), guest

    def authenticate_header(self, request: Request) -> None:
        return None


class _HoldsGuest(BasePermission):
    message = NO_GUEST

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ReviewLinkGuest)


_WRITES = frozenset({"POST", "PUT", "PATCH"})


NOT_IN_LINK = (
    "This review link does not show this version (any more: a shot's link shows its chosen take, "
    "which may have changed). Reload the link to see what it shows now."
)


class GuestMixin:
    authentication_classes = [GuestSessionAuthentication]
    permission_classes = [_HoldsGuest]
    request: Request

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> None:
        # Not DRF's "credentials were not provided", which sends a page to the members' sign-in.
        raise exceptions.PermissionDenied(message or NO_GUEST)

    def get_throttles(self) -> list[BaseThrottle]:
        # Writes only (notes, replies, edits: each may notify members and fire webhooks), per
        # guest session and per address; reading is not limited.
        if self.request.method in _WRITES:
            return [GuestWriteThrottle(), GuestWriteAddressThrottle()]
        return []

    def throttled(self, request: Request, wait: float | None) -> None:
        seconds = max(1, math.ceil(wait or 1))
        error = exceptions.Throttled(
            detail=f"Too many notes and edits in a short time; try again in {seconds} seconds."
        )
        error.wait = seconds  # sent as Retry-After
        raise error

    @property
    def guest(self) -> ReviewLinkGuest:
        return self.request.auth

    @property
    def principal(self) -> Principal:
        return Principal.for_guest(self.guest)

    def versions(self) -> QuerySet[Version]:
        return (
            selectors.with_queue_position(review_links.guest_versions(self.guest.link))
            .annotate(my_role=Value(permissions.GUEST, output_field=CharField()))
            .prefetch_related("recommendations__user")
        )

    def version(self, pk: int) -> Version:
        version = self.versions().filter(pk=pk).first()
        if version is None:
            # Also what a guest with a take open hears once a shot's link shows another take.
            raise exceptions.NotFound(NOT_IN_LINK)
        return version

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"request": self.request, "guest": self.guest, "principal": self.principal, **extra}


def guest_provenance(provenance: dict[str, Any] | None) -> dict[str, Any]:
    """What a guest learns of a file's making: whether it is signed (``c2pa.state``), whether it
    is AI-generated, and what the proxy they watch carries. Never prompts, seeds, models, tags,
    file names, signers or ``search_text`` (docs/review-links.md)."""
    if not provenance:
        return {}
    kept: dict[str, Any] = {}
    c2pa = provenance.get("c2pa")
    if isinstance(c2pa, dict) and "state" in c2pa:
        kept["c2pa"] = {"state": c2pa["state"]}
    for key in ("ai_generated", "proxy"):
        if key in provenance:
            kept[key] = provenance[key]
    return kept


class GuestVersionSerializer(VersionSerializer):
    def to_representation(self, version: Version) -> dict[str, Any]:
        data = super().to_representation(version)
        # How a take was made (generation, the prompt and seed the file carries, the name it had
        # on the artist's disk, the note that came with the upload) is the studio's, not the client's.
        data["generation"] = {}
        data["take_settings"] = {key: None for key in ("model", "seed", "prompt")} | {"read_from_file": []}
        data["provenance"] = guest_provenance(data.get("provenance"))
        data["original_filename"] = ""
        data["note"] = ""
        # Lineage and recommendations are the studio's deliberation, and the parent is often a
        # take the link does not show: a guest sees neither.
        data["parent_version"] = None
        data["recommended_by"] = []
        return data


def _link_data(view: GuestMixin) -> dict[str, Any]:
    link = view.guest.link
    versions = view.versions()
    # Only the poster's address: the whole version (its recommendations...) would cost a query each.
    posters = GuestVersionSerializer(context=view.context())
    return {
        "label": link.label,
        "project": {"id": link.project_id, "name": link.project.name},
        "guest": {"id": view.guest.pk, "name": view.guest.name},
        "can_comment": link.can_comment,
        "can_download_original": link.can_download_original,
        "expires_at": link.expires_at,
        "my_actions": permissions.my_actions(view.principal),
        "versions": [
            {
                "id": version.id,
                "number": version.number,
                "shot": {"id": version.shot_id, "code": version.shot.code, "title": version.shot.title},
                "review_status": version.review_status,
                "processing_state": version.processing_state,
                "poster_url": posters.get_poster_url(version),
            }
            for version in versions
        ],
    }


class GuestLinkView(GuestMixin, APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        """The link this browser holds: its label, what it allows, and its versions (the playlist)."""
        return Response(_link_data(self))


class GuestProjectView(GuestMixin, APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        project = self.guest.link.project
        if pk != project.pk:
            raise exceptions.NotFound()
        return Response(
            {
                "id": project.pk,
                "name": project.name,
                "fps": float(project.fps),
                "fps_rational": f"{project.fps_numerator}/{project.fps_denominator}",
                "my_role": permissions.GUEST,
                "my_actions": permissions.my_actions(self.principal),
            }
        )


class GuestMemberListView(GuestMixin, APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        """Guests see no members (no names to mention, no emails): always an empty page."""
        if pk != self.guest.link.project_id:
            raise exceptions.NotFound()
        return Response({"count": 0, "next": None, "previous": None, "results": []})


class GuestNoteTypesView(GuestMixin, NoteTypesView):
    """The note categories and severities, for the guest's composer."""


class GuestShotView(GuestMixin, APIView):
    @extend_schema(responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        shot = get_object_or_404(review_links.guest_shots(self.guest.link), pk=pk)
        return Response(
            {
                "id": shot.pk,
                "project": shot.project_id,
                "code": shot.code,
                "title": shot.title,
                "order": shot.order,
            }
        )


class GuestShotVersionsView(GuestMixin, generics.ListAPIView):
    """The versions of a shot the link shows (not the shot's others)."""

    serializer_class = GuestVersionSerializer
    queryset = Version.objects.none()  # for the schema

    def get_queryset(self) -> QuerySet[Version]:
        get_object_or_404(review_links.guest_shots(self.guest.link), pk=self.kwargs["pk"])
        return self.versions().filter(shot_id=self.kwargs["pk"]).order_by("number")

    def get_serializer_context(self) -> dict[str, Any]:
        return self.context()


class GuestVersionView(GuestMixin, APIView):
    @extend_schema(responses=GuestVersionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(GuestVersionSerializer(self.version(pk), context=self.context()).data)


class GuestVersionOriginalView(GuestMixin, APIView):
    @extend_schema(responses=OriginalDownloadSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """A signed link to the version's uploaded file, when the review link allows downloading
        originals (403 otherwise); it downloads as ``<shot code>_v<number><suffix>``."""
        version = self.version(pk)
        permissions.require(self.principal, Action.DOWNLOAD_ORIGINAL)
        return Response(original_download(request, version, guest=self.guest))


class GuestCommentListView(GuestMixin, generics.ListCreateAPIView):
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()  # for the schema
    filterset_class = CommentFilter

    def _context(self, version: Version) -> dict[str, Any]:
        return self.context(rate=version.timecode_rate, roles=selectors.author_roles(version.shot.project_id))

    def get(self, request: Request, pk: int) -> Response:
        """The version's notes a guest may read (never internal ones), each with its reply tree."""
        version = self.version(pk)
        # The version's own notes only: threads carried over from another take (reviews.carry_over)
        # belong to a version the link may not show.
        threads = self.filter_queryset(
            selectors.comment_threads(version=version).filter(version=version, internal=False)
        )
        page = self.paginate_queryset(threads)
        selectors.attach_replies(page, internal=False)
        return self.get_paginated_response(
            CommentSerializer(page, many=True, context=self._context(version)).data
        )

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        version = self.version(pk)
        permissions.require(self.principal, Action.COMMENT)
        serializer = CommentCreateSerializer(
            data=request.data, context={"rate": version.timecode_rate, "frame_count": version.frame_count}
        )
        # Only notes this guest can see may be answered; anything else is as missing.
        serializer.fields["parent"].queryset = review_links.guest_comments(self.guest.link)
        serializer.is_valid(raise_exception=True)
        data = {**serializer.validated_data, "internal": False}
        comment = services.comment_create(version=version, author=None, guest=self.guest, **data)
        return Response(
            CommentSerializer(comment, context=self._context(version)).data, status=status.HTTP_201_CREATED
        )


def guest_comments_data(
    guest: ReviewLinkGuest, comments: Iterable[Comment], *, replies: bool = True, request: Any = None
) -> list[dict[str, Any]]:
    """Notes as the guest API shows them to ``guest`` (``GET guest/comments/{id}/``), in the order given.

    ``comments`` must come from ``review_links.guest_comments(guest.link)`` (what decides which
    notes a guest reads); with ``replies``, each note that starts a thread carries its reply tree,
    internal replies left out. Costs a fixed number of queries for any number of notes of one
    project (the guest's live stream sends a burst at once, reviews/views/guest_live.py).
    """
    comments = list(comments)
    if replies:
        selectors.attach_replies([c for c in comments if c.parent_id is None], internal=False)
    if not comments:
        return []
    context = {
        "request": request,
        "guest": guest,
        "principal": Principal.for_guest(guest),
        "roles": selectors.author_roles(guest.link.project_id),
    }
    return [
        CommentSerializer(comment, context={**context, "rate": comment.version.timecode_rate}).data
        for comment in comments
    ]


class GuestCommentDetailView(GuestMixin, APIView):
    def _comment(self, pk: int) -> Comment:
        return get_object_or_404(review_links.guest_comments(self.guest.link), pk=pk)

    def _data(self, comment: Comment, *, replies: bool) -> dict[str, Any]:
        return guest_comments_data(self.guest, [comment], replies=replies, request=self.request)[0]

    @extend_schema(responses=CommentSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(self._data(self._comment(pk), replies=True))

    @extend_schema(request=CommentUpdateSerializer, responses=CommentSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        """A guest may change the words, drawing, category and severity of their own notes, nothing else."""
        comment = self._comment(pk)
        data = validated(CommentUpdateSerializer, request.data)
        if data.keys() - {"body", "annotation", "category", "severity"}:
            raise exceptions.PermissionDenied(
                "Guests may only edit the text, drawing and type of their own notes."
            )
        permissions.require(self.principal, Action.COMMENT)
        permissions.require_edit_comment(self.principal, comment)
        comment = services.comment_update(comment=comment, by=None, **data)
        return Response(self._data(comment, replies=False))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        permissions.require_delete_comment(self.principal, self._comment(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "GuestCommentDetailView",
    "GuestCommentListView",
    "GuestLinkView",
    "GuestMemberListView",
    "GuestNoteTypesView",
    "GuestProjectView",
    "GuestShotVersionsView",
    "GuestShotView",
    "GuestVersionOriginalView",
    "GuestVersionView",
    "guest_comments_data",
]

"""Views for versions: upload, detail, reprocessing, and their generated media files."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from reviews import permissions, selectors, services
from reviews.filters import VersionFilter
from reviews.media import links
from reviews.models import Shot, Version
from reviews.permissions import Action
from reviews.serializers import VersionSerializer, VersionUpdateSerializer, VersionUploadSerializer
from reviews.serializers.versions import OriginalDownloadSerializer, original_download
from reviews.views.validation import validated

# --- versions ---------------------------------------------------------------


class VersionListView(generics.ListCreateAPIView):
    serializer_class = VersionSerializer
    queryset = Version.objects.none()  # for the schema, as in projects.MemberListView
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ScopedRateThrottle]

    def get_throttles(self) -> list:
        # Only uploads are throttled; reading the list is not.
        return super().get_throttles() if self.request.method == "POST" else []

    throttle_scope = "upload"
    filterset_class = VersionFilter

    def _shot(self) -> Shot:
        return get_object_or_404(selectors.shots_for(self.request.user), pk=self.kwargs["shot_id"])

    def get_queryset(self) -> QuerySet[Version]:
        return selectors.versions_for(self.request.user).filter(shot=self._shot()).order_by("number")

    @extend_schema(
        request={"multipart/form-data": VersionUploadSerializer}, responses={201: VersionSerializer}
    )
    def post(self, request: Request, shot_id: int) -> Response:
        shot = self._shot()
        permissions.require(selectors.principal_in(request.user, shot), Action.MANAGE_SHOTS)
        data = validated(VersionUploadSerializer, request.data)
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
        data = validated(VersionUpdateSerializer, request.data)
        permissions.require_patch_version_fields(selectors.principal_in(request.user, version), data.keys())
        if data:
            services.version_update(version=version, by=request.user, **data)
        return Response(VersionSerializer(version, context=self.get_serializer_context()).data)

    def perform_destroy(self, version: Version) -> None:
        permissions.require(selectors.principal_in(self.request.user, version), Action.MANAGE_SHOTS)
        services.version_delete(version=version)


class VersionSeenView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        """Mark the version's notes and status changes until now as read by you."""
        version = get_object_or_404(selectors.versions_for(request.user), pk=pk)
        permissions.require(selectors.principal_in(request.user, version), Action.READ)
        services.version_seen(version=version, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionReprocessView(APIView):
    @extend_schema(request=None, responses={202: VersionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Run the media pipeline again from the original upload."""
        version = get_object_or_404(selectors.versions_for(request.user), pk=pk)
        permissions.require(selectors.principal_in(request.user, version), Action.MANAGE_SHOTS)
        services.version_reprocess(version=version)
        return Response(
            VersionSerializer(version, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class VersionOriginalView(APIView):
    @extend_schema(responses=OriginalDownloadSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """A signed link to download the version's uploaded file, byte for byte, under its
        original name; whatever its processing state (docs/downloads.md)."""
        version = get_object_or_404(selectors.versions_for(request.user), pk=pk)
        permissions.require(selectors.principal_in(request.user, version), Action.DOWNLOAD_ORIGINAL)
        return Response(original_download(request, version))


# What the generated files are served as (reviews.media.storage.FILE_NAMES); an original is
# served as its suffix says (video/quicktime, video/webm, …), described here as any bytes.
_MEDIA_TYPES = ("video/mp4", "image/jpeg", "application/octet-stream")


class MediaFileView(APIView):
    """A generated file, or a version's uploaded original, behind a signed link (see
    reviews.media.links)."""

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
        },
        tags=["media"],
    )
    def get(self, request: Request, token: str, filename: str) -> HttpResponse:
        version, kind, holder = links.resolve(token, filename)
        if kind == "thumbnails":
            return links.thumbnails_response(version, holder=holder)
        return links.file_response(request, version, kind, holder=holder)

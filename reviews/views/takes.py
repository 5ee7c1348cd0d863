"""Views of issue 14's takes: the director's decision, recommendations, lineage and search."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import permissions, search, selectors, takes
from reviews.models import Version
from reviews.permissions import Action
from reviews.serializers import VersionSerializer
from reviews.serializers.takes import (
    DecisionSerializer,
    SearchHitSerializer,
    SearchQuerySerializer,
    VersionNodeSerializer,
)
from reviews.views.validation import validated


def _version(request: Request, pk: int) -> Version:
    return get_object_or_404(selectors.versions_for(request.user), pk=pk)


def _answer(request: Request, version: Version) -> Response:
    # Read again: the decision of another take, or the recommendations, changed with it.
    version = get_object_or_404(selectors.versions_for(request.user), pk=version.pk)
    return Response(VersionSerializer(version, context={"request": request}).data)


class VersionDecisionView(APIView):
    @extend_schema(request=DecisionSerializer, responses=VersionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Select, reject or reset a take (directors); selecting un-selects the shot's previous take."""
        version = _version(request, pk)
        permissions.require(selectors.principal_in(request.user, version), Action.DECIDE)
        data = validated(DecisionSerializer, request.data)
        takes.version_decide(version=version, decision=data["decision"], by=request.user)
        return _answer(request, version)


class VersionRecommendationView(APIView):
    @extend_schema(request=None, responses=VersionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Recommend this take to the director (mentors and directors); doing it twice is harmless."""
        version = _version(request, pk)
        permissions.require(selectors.principal_in(request.user, version), Action.RECOMMEND)
        takes.version_recommend(version=version, by=request.user)
        return _answer(request, version)

    @extend_schema(request=None, responses={200: VersionSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        """Withdraw your recommendation of this take (nothing happens if you had none)."""
        version = _version(request, pk)
        permissions.require(selectors.principal_in(request.user, version), Action.RECOMMEND)
        takes.version_unrecommend(version=version, by=request.user)
        return _answer(request, version)


class ShotVersionTreeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "VersionTree",
            {"shot": serializers.IntegerField(), "roots": VersionNodeSerializer(many=True)},
        )
    )
    def get(self, request: Request, shot_id: int) -> Response:
        """The shot's takes as a lineage tree: each take with those regenerated from it (children)."""
        shot = get_object_or_404(selectors.shots_for(request.user), pk=shot_id)
        versions = list(Version.objects.filter(shot=shot).order_by("number"))
        roots = takes.lineage_tree(versions)
        return Response({"shot": shot.pk, "roots": VersionNodeSerializer(roots, many=True).data})


class ProjectSearchView(generics.ListAPIView):
    serializer_class = SearchHitSerializer
    queryset = Version.objects.none()  # for the schema; get_queryset builds the real one
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, required=True, description=SearchQuerySerializer().fields["q"].help_text
            ),
            OpenApiParameter("model", str, description="Only takes of this model (any case)."),
            OpenApiParameter("seed", str, description="Only takes with this seed."),
            OpenApiParameter(
                "match",
                str,
                enum=["all", "any"],
                description=SearchQuerySerializer().fields["match"].help_text,
            ),
        ]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        """Versions of the project whose prompt, model, note, comments or provenance match, best first."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Version]:
        project = get_object_or_404(selectors.projects_for(self.request.user), pk=self.kwargs["project_id"])
        query = validated(SearchQuerySerializer, self.request.query_params)
        self.q = query["q"]
        return search.search_versions(project=project, **query)

    def get_serializer_context(self) -> dict[str, object]:
        return {**super().get_serializer_context(), "q": getattr(self, "q", "")}

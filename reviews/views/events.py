"""The activity feed: a project's event record, for its members."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from reviews import selectors
from reviews.models import Event
from reviews.serializers import ActivityQuerySerializer, EventSerializer
from reviews.views.validation import validated


class ActivityView(generics.ListAPIView):
    serializer_class = EventSerializer
    queryset = Event.objects.none()  # for the schema, as in projects.MemberListView

    def get_queryset(self) -> QuerySet[Event]:
        project = get_object_or_404(selectors.projects_for(self.request.user), pk=self.kwargs["project_id"])
        query = validated(ActivityQuerySerializer, self.request.query_params)
        return selectors.project_activity(
            project=project, kinds=query.get("kind", ()), after=query.get("after")
        )

    @extend_schema(parameters=[ActivityQuerySerializer])
    def get(self, request: Request, project_id: int) -> Response:
        """What happened in the project, newest first: comments, versions, members."""
        return self.list(request)

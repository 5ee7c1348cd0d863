"""The inbox, its counts and read marks; notification settings per project; watching a shot."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import permissions, selectors
from reviews.models import Notification, ShotWatch
from reviews.notifications import rules, services
from reviews.notifications import selectors as inbox
from reviews.serializers.notifications import (
    DigestPreferencesSerializer,
    InboxQuerySerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    ReadAllSerializer,
    WatchSerializer,
)
from reviews.views.validation import validated

_COUNT = inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})


class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema

    def _query(self) -> dict[str, Any]:
        return validated(InboxQuerySerializer, self.request.query_params)

    def get_queryset(self) -> QuerySet[Notification]:
        query = self._query()
        return inbox.inbox_for(
            self.request.user,
            unread=query.get("unread"),
            project_id=query.get("project"),
            version_id=query.get("version"),
        )

    @extend_schema(parameters=[InboxQuerySerializer])
    def get(self, request: Request) -> Response:
        """Your notifications, newest first, with `unread_count` beside the page.

        `?group=version` pages versions instead: each group has its `count`, `unread_count`
        and its newest few notifications, the version with the newest activity first.
        """
        notifications = self.get_queryset()
        if self._query().get("group") == "version":
            response = self._grouped(notifications)
        else:
            response = self.list(request)
        response.data["unread_count"] = inbox.unread_count(request.user)
        return response

    def _grouped(self, notifications: QuerySet[Notification]) -> Response:
        page = self.paginate_queryset(inbox.inbox_groups(notifications))
        previews = inbox.group_previews(notifications, [row["version_id"] for row in page])
        by_version: dict[int | None, list[Notification]] = {}
        for notification in previews:
            by_version.setdefault(notification.version_id, []).append(notification)
        groups = []
        for row in page:
            shown = by_version.get(row["version_id"], [])
            newest = NotificationSerializer(shown, many=True).data
            groups.append(
                {
                    "version": newest[0]["version"] if newest else None,
                    "project": newest[0]["project"] if newest else None,
                    "count": row["count"],
                    "unread_count": row["unread_count"],
                    "latest_at": shown[0].created_at if shown else None,
                    "notifications": newest,
                }
            )
        return self.get_paginated_response(groups)


class UnreadCountView(APIView):
    @extend_schema(responses=_COUNT)
    def get(self, request: Request) -> Response:
        """How many of your notifications are unread (the bell)."""
        return Response({"unread": inbox.unread_count(request.user)})


class NotificationReadView(APIView):
    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Mark one of your notifications read."""
        notification = get_object_or_404(inbox.inbox_for(request.user), pk=pk)
        services.notification_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(
        request=ReadAllSerializer,
        responses=inline_serializer(
            "ReadAll", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}
        ),
    )
    def post(self, request: Request) -> Response:
        """Mark all your notifications read, or only those of a `project` or a `version`."""
        data = validated(ReadAllSerializer, request.data)
        marked = services.notifications_read_all(
            notifications=inbox.inbox_for(
                request.user, project_id=data.get("project"), version_id=data.get("version")
            )
        )
        return Response({"marked": marked, "unread": inbox.unread_count(request.user)})


class NotificationSettingsView(APIView):
    def _project(self, request: Request, project_id: int) -> Any:
        project = get_object_or_404(selectors.projects_for(request.user), pk=project_id)
        permissions.require_be_notified(selectors.principal_in(request.user, project))
        return project

    @extend_schema(responses=NotificationSettingsSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        """What you hear of this project, in the inbox and by email (defaults: all, all)."""
        project = self._project(request, project_id)
        return Response(
            NotificationSettingsSerializer(
                services.notification_settings_of(user=request.user, project=project)
            ).data
        )

    @extend_schema(request=NotificationSettingsSerializer, responses=NotificationSettingsSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = self._project(request, project_id)
        data = validated(NotificationSettingsSerializer, request.data)
        setting = services.notification_settings_update(user=request.user, project=project, **data)
        return Response(NotificationSettingsSerializer(setting).data)


class DigestPreferencesView(APIView):
    @extend_schema(responses=DigestPreferencesSerializer)
    def get(self, request: Request) -> Response:
        """When your digest is mailed (default: daily at 09:00 UTC)."""
        return Response(DigestPreferencesSerializer(services.digest_preferences_of(user=request.user)).data)

    @extend_schema(request=DigestPreferencesSerializer, responses=DigestPreferencesSerializer)
    def patch(self, request: Request) -> Response:
        data = validated(DigestPreferencesSerializer, request.data)
        preferences = services.digest_preferences_update(user=request.user, **data)
        return Response(DigestPreferencesSerializer(preferences).data)


class ShotWatchView(APIView):
    def _shot(self, request: Request, shot_id: int) -> Any:
        shot = get_object_or_404(selectors.shots_for(request.user), pk=shot_id)
        permissions.require_be_notified(selectors.principal_in(request.user, shot))
        return shot

    def _answer(self, request: Request, shot: Any, code: int = status.HTTP_200_OK) -> Response:
        explicit = ShotWatch.objects.filter(user=request.user, shot=shot).exists()
        watching = request.user.pk in rules.shot_watchers(shot.pk)
        return Response(
            WatchSerializer({"shot": shot.pk, "watching": watching, "explicit": explicit}).data, status=code
        )

    @extend_schema(responses=WatchSerializer)
    def get(self, request: Request, shot_id: int) -> Response:
        """Whether you watch this shot (commenting or uploading there watches it)."""
        return self._answer(request, self._shot(request, shot_id))

    @extend_schema(request=None, responses=WatchSerializer)
    def post(self, request: Request, shot_id: int) -> Response:
        """Watch this shot: hear of its new versions, review status and chosen take."""
        shot = self._shot(request, shot_id)
        services.shot_watch(shot=shot, user=request.user, watching=True)
        return self._answer(request, shot)

    @extend_schema(request=None, responses={200: WatchSerializer})
    def delete(self, request: Request, shot_id: int) -> Response:
        """Stop watching this shot, even though you commented or uploaded there."""
        shot = self._shot(request, shot_id)
        services.shot_watch(shot=shot, user=request.user, watching=False)
        return self._answer(request, shot)

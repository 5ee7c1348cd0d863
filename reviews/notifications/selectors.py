"""The inbox: a person's notifications in projects they are still on, and its counts."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from reviews.models import Membership, Notification, Version, VersionView

# How many notifications each group of ``?group=version`` shows; the rest are counted.
GROUP_PREVIEW = 5


def inbox_for(
    user: AbstractBaseUser,
    *,
    unread: bool | None = None,
    project_id: int | None = None,
    version_id: int | None = None,
) -> QuerySet[Notification]:
    """A person's notifications, newest first, with what the list shows loaded in the same query.

    Notifications of a project the person has left are not shown: its notes are no longer theirs to read.
    """
    still_member = Membership.objects.filter(project=OuterRef("project"), user_id=user.pk)
    notifications = (
        Notification.objects.filter(recipient_id=user.pk)
        .filter(Exists(still_member))
        .select_related("event__actor", "project")
        .order_by("-id")
    )
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    if project_id is not None:
        notifications = notifications.filter(project_id=project_id)
    if version_id is not None:
        notifications = notifications.filter(version_id=version_id)
    return notifications


def unread_count(user: AbstractBaseUser) -> int:
    return inbox_for(user, unread=True).count()


def inbox_groups(notifications: QuerySet[Notification]) -> QuerySet:
    """One row per version (``version_id`` null: events of no version, or of a deleted one),
    the group with the newest notification first: ``count``, ``unread_count``, ``latest_id``."""
    return (
        notifications.order_by()
        .values("version_id")
        .annotate(
            count=Count("id"),
            unread_count=Count("id", filter=Q(read_at__isnull=True)),
            latest_id=Max("id"),
        )
        .order_by("-latest_id")
    )


def group_previews(
    notifications: QuerySet[Notification], version_ids: list[int | None]
) -> list[Notification]:
    """The newest ``GROUP_PREVIEW`` notifications of each of these groups, in one query."""
    in_groups = Q(version_id__in=[v for v in version_ids if v is not None])
    if None in version_ids:
        in_groups |= Q(version_id__isnull=True)
    return list(
        notifications.filter(in_groups)
        .annotate(rank=Window(RowNumber(), partition_by="version_id", order_by="-id"))
        .filter(rank__lte=GROUP_PREVIEW)
        .order_by("-id")
    )


def last_seen(*, version: Version, user: AbstractBaseUser) -> datetime | None:
    """When the person last opened the version (None: never), for "new since your last visit"."""
    return (
        VersionView.objects.filter(version=version, user_id=user.pk).values_list("seen_at", flat=True).first()
    )

"""Every write of notifications: creating them from an event, reading them, settings and watches."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from reviews.models import (
    DIRECT_REASONS,
    DigestPreferences,
    EmailRoute,
    Event,
    Notification,
    NotificationLevel,
    NotificationSettings,
    Project,
    Shot,
    ShotWatch,
    Version,
)
from reviews.notifications import rules


def _hears(level: str, reasons: list[str]) -> bool:
    if level == NotificationLevel.ALL:
        return True
    if level == NotificationLevel.MENTIONS:
        return bool(DIRECT_REASONS & set(reasons))
    return False


def _email_route(level: str, reasons: list[str], address: str) -> EmailRoute:
    if not address or not _hears(level, reasons):
        return EmailRoute.NONE
    return EmailRoute.SOON if DIRECT_REASONS & set(reasons) else EmailRoute.DIGEST


@transaction.atomic
def notifications_create(*, event: Event) -> list[Notification]:
    """Tell everyone an event concerns (``rules.recipients``), as their settings allow.

    Returns the notifications created now; a second call for the same event creates
    none (unique per recipient and event), so a fan-out delivered twice tells nobody twice.
    Mentions and replies that are to be mailed schedule ``send_soon`` once this commits.
    """
    from reviews.notifications.tasks import SOON_SECONDS, send_soon

    if event.kind in rules.RETRACTS:
        # Unread notifications of what the event takes back (a withdrawn recommendation).
        rules.RETRACTS[event.kind](event).delete()
    concerned = rules.recipients(event)
    if not concerned:
        return []
    chosen = {
        row.user_id: row
        for row in NotificationSettings.objects.filter(
            project_id=event.project_id, user_id__in=list(concerned)
        )
    }
    addresses = dict(
        get_user_model()._default_manager.filter(pk__in=list(concerned)).values_list("pk", "email")
    )
    version_id = rules.event_version_id(event)
    if version_id is not None and not Version.objects.filter(pk=version_id).exists():
        version_id = None
    rows = []
    for user_id, reasons in concerned.items():
        setting = chosen.get(user_id)
        if not _hears(setting.level if setting else NotificationLevel.ALL, reasons):
            continue
        email_level = setting.email_level if setting else NotificationLevel.ALL
        rows.append(
            Notification(
                recipient_id=user_id,
                event=event,
                project_id=event.project_id,
                version_id=version_id,
                reasons=reasons,
                email=_email_route(email_level, reasons, addresses.get(user_id) or ""),
            )
        )
    already = set(Notification.objects.filter(event=event).values_list("recipient_id", flat=True))
    created = Notification.objects.bulk_create(
        [row for row in rows if row.recipient_id not in already], ignore_conflicts=True
    )
    for row in created:
        if row.email == EmailRoute.SOON and row.version_id is not None:
            recipient, version = row.recipient_id, row.version_id
            transaction.on_commit(
                lambda recipient=recipient, version=version: send_soon.apply_async(
                    (recipient, version), countdown=SOON_SECONDS
                )
            )
    return created


def notification_read(*, notification: Notification) -> Notification:
    """Mark one notification read (reading it again changes nothing)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, notifications: QuerySet[Notification]) -> int:
    """Mark every unread notification of the queryset read; how many were."""
    return notifications.filter(read_at__isnull=True).update(read_at=timezone.now())


def notification_settings_of(*, user: AbstractBaseUser, project: Project) -> NotificationSettings:
    """A member's settings for a project (the defaults until they change one; not stored until then)."""
    found = NotificationSettings.objects.filter(user=user, project=project).first()
    return found or NotificationSettings(user=user, project=project)


@transaction.atomic
def notification_settings_update(
    *, user: AbstractBaseUser, project: Project, **fields: Any
) -> NotificationSettings:
    setting, _ = NotificationSettings.objects.select_for_update().get_or_create(user=user, project=project)
    for name, value in fields.items():
        setattr(setting, name, value)
    setting.save()
    return setting


def digest_preferences_of(*, user: AbstractBaseUser) -> DigestPreferences:
    return DigestPreferences.objects.filter(user=user).first() or DigestPreferences(user=user)


@transaction.atomic
def digest_preferences_update(*, user: AbstractBaseUser, **fields: Any) -> DigestPreferences:
    preferences, _ = DigestPreferences.objects.select_for_update().get_or_create(user=user)
    for name, value in fields.items():
        setattr(preferences, name, value)
    preferences.save()
    return preferences


def shot_watch(*, shot: Shot, user: AbstractBaseUser, watching: bool) -> ShotWatch:
    """Watch a shot, or stop (which also ends the watch that commenting or uploading implies)."""
    watch, _ = ShotWatch.objects.update_or_create(user=user, shot=shot, defaults={"watching": watching})
    return watch

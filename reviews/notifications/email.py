"""Notification mail: mentions and replies within a minute, batched per version; the rest in a digest.

Every mail goes through ``reviews.mail.mail_queue`` (sent after commit, retried, never twice
per key), and the notifications it carries are marked ``emailed_at`` in the same
transaction, so a notification is mailed at most once. Each mail carries a one-click
unsubscribe link (RFC 8058) that sets the project's email level to none.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reviews.mail import mail_queue
from reviews.models import (
    Comment,
    DigestFrequency,
    DigestPreferences,
    EmailRoute,
    Notification,
    NotificationLevel,
    NotificationReason,
    NotificationSettings,
    Project,
    Version,
)

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "reviewsvc.notifications.unsubscribe"

_SENTENCES = {
    NotificationReason.MENTIONED: "mentioned you",
    NotificationReason.REPLY: "replied in a thread you are in",
    NotificationReason.NOTE_ON_YOUR_VERSION: "left a note on your version",
    NotificationReason.NEW_VERSION: "uploaded a new version",
    NotificationReason.YOUR_VERSION_READY: "Your version is ready to review",
    NotificationReason.YOUR_VERSION_FAILED: "Your version could not be processed",
    NotificationReason.REVIEW_STATUS_CHANGED: "changed the review status",
    NotificationReason.DECISION_CHANGED: "changed the chosen take",
    NotificationReason.TAKE_RECOMMENDED: "recommends this take",
    NotificationReason.YOUR_NOTE_RESOLVED: "resolved your note",
}


def unsubscribe_token(*, user_id: int, project_id: int) -> str:
    """A signed token naming a person and a project, for the one-click unsubscribe link."""
    return signing.dumps({"u": user_id, "p": project_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_target(token: str) -> tuple[int, int] | None:
    """(user id, project id) of a token, or None if it was not signed by us."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), int):
        return None
    return data["u"], data["p"]


def unsubscribe_url(*, user_id: int, project_id: int) -> str:
    token = unsubscribe_token(user_id=user_id, project_id=project_id)
    return settings.REVIEWSVC_PUBLIC_URL + reverse("notifications-unsubscribe", args=[token])


@transaction.atomic
def email_unsubscribe(*, user_id: int, project_id: int) -> None:
    """Mail of this project no more (the inbox stays as it was); pending mail of it is dropped."""
    NotificationSettings.objects.update_or_create(
        user_id=user_id, project_id=project_id, defaults={"email_level": NotificationLevel.NONE}
    )
    Notification.objects.filter(recipient_id=user_id, project_id=project_id, emailed_at__isnull=True).exclude(
        email=EmailRoute.NONE
    ).update(email=EmailRoute.NONE)


def _headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def frame_link(notification: Notification, *, absolute: bool = True) -> str:
    """The exact moment a notification is about: the version page at the note's frame, thread open.

    ``absolute``: under ``REVIEWSVC_PUBLIC_URL`` (for mail), else a path (for the API and pages).
    """
    base = settings.REVIEWSVC_PUBLIC_URL if absolute else ""
    payload = notification.event.payload if isinstance(notification.event.payload, dict) else {}
    if notification.version_id is None:
        return f"{base}/review/inbox/"
    url = f"{base}/review/versions/{notification.version_id}/"
    comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else None
    if comment and isinstance(comment.get("id"), int):
        # The page opens a note at its frame with its thread selected (``comment`` wins); ``frame``
        # still lands on the moment if the note was deleted since. A general note has no frame.
        frame = comment.get("frame")
        at = f"frame={frame}&" if isinstance(frame, int) else ""
        return f"{url}?{at}comment={comment['id']}"
    return url


def guest_of_event(payload: Any) -> dict[str, Any] | None:
    """The review-link guest who acted (``{"id", "name"}``), from an event's payload: the guest
    who wrote the note (``comment.guest``) or who opened the link (``guest``); None otherwise."""
    if not isinstance(payload, dict):
        return None
    comment = payload.get("comment")
    guest = comment.get("guest") if isinstance(comment, dict) else None
    if not isinstance(guest, dict):
        guest = payload.get("guest")
    if isinstance(guest, dict) and isinstance(guest.get("name"), str):
        return {"id": guest.get("id"), "name": guest["name"]}
    return None


def actor_name(event: Any) -> str:
    """Who did it, as people read it: a member's full name (else username), "guest: <name>" for
    a review-link guest, "" for the media pipeline."""
    if event.actor is not None:
        return event.actor.get_full_name() or event.actor.get_username()
    guest = guest_of_event(event.payload)
    return f"guest: {guest['name']}" if guest else ""


def _decision_sentence(payload: dict[str, Any]) -> str:
    """What a change of the chosen take did, from its event's ``to`` and ``previous_selected``."""
    previous = (
        payload.get("previous_selected") if isinstance(payload.get("previous_selected"), dict) else None
    )
    to = payload.get("to")
    if to == "selected":
        return (
            f"chose this take over v{previous['number']}"
            if previous and previous.get("number")
            else "chose this take"
        )
    if to == "rejected":
        return "rejected this take"
    if to == "candidate" and payload.get("from") == "selected":
        return "unchose this take: it is a candidate again"
    return _SENTENCES[NotificationReason.DECISION_CHANGED]


_STATUS_SENTENCES = {
    "approved": "approved this version",
    "changes_requested": "asked for changes to this version",
    "pending": "set this version back to pending review",
}


def what_happened(notification: Notification) -> str:
    """The sentence after the actor's name (or a whole one for the pipeline), as mail and inbox say it."""
    event = notification.event
    payload = event.payload if isinstance(event.payload, dict) else {}
    first = NotificationReason(notification.reasons[0]) if notification.reasons else None
    if first == NotificationReason.DECISION_CHANGED:
        return _decision_sentence(payload)
    if first == NotificationReason.REVIEW_STATUS_CHANGED and payload.get("to") in _STATUS_SENTENCES:
        return _STATUS_SENTENCES[payload["to"]]
    return _SENTENCES.get(first, event.kind) if first else event.kind


def describe(notification: Notification) -> dict[str, Any]:
    """What a mail says of one notification: who did what, where, the excerpt and the link."""
    event = notification.event
    payload = event.payload if isinstance(event.payload, dict) else {}
    actor = actor_name(event)
    sentence = what_happened(notification)
    comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else {}
    shot = (payload.get("shot") or {}).get("code", "")
    number = (payload.get("version") or {}).get("number")
    return {
        "actor": actor,
        "what": f"{actor} {sentence}" if actor and sentence[0].islower() else sentence,
        "where": f"{shot} v{number}" if shot and number else shot,
        "frame": comment.get("frame"),
        "excerpt": comment.get("excerpt", ""),
        "link": frame_link(notification),
    }


def _still_wanted(notifications: list[Notification], user_id: int) -> list[Notification]:
    """Drop what the person stopped wanting since (unsubscribed, left the project)."""
    from reviews.models import Membership

    projects = {n.project_id for n in notifications}
    muted = set(
        NotificationSettings.objects.filter(
            user_id=user_id, project_id__in=projects, email_level=NotificationLevel.NONE
        ).values_list("project_id", flat=True)
    )
    member = set(
        Membership.objects.filter(user_id=user_id, project_id__in=projects).values_list(
            "project_id", flat=True
        )
    )
    return [n for n in _still_news(notifications) if n.project_id in member and n.project_id not in muted]


def _comment_id(notification: Notification) -> int | None:
    payload = notification.event.payload if isinstance(notification.event.payload, dict) else {}
    comment = payload.get("comment") if isinstance(payload.get("comment"), dict) else {}
    return comment.get("id") if isinstance(comment.get("id"), int) else None


def _still_news(notifications: list[Notification]) -> list[Notification]:
    """Drop what mail would tell too late: read on the site already, or about a note deleted since."""
    unread = [n for n in notifications if n.read_at is None]
    about = {_comment_id(n) for n in unread} - {None}
    alive = set(Comment.objects.filter(pk__in=about, deleted_at__isnull=True).values_list("pk", flat=True))
    return [n for n in unread if _comment_id(n) is None or _comment_id(n) in alive]


@transaction.atomic
def send_soon(*, user_id: int, version_id: int) -> int:
    """Mail one person's unmailed mentions and replies on one version, in one message.

    Returns how many notifications the mail carries (0: nothing was pending, or
    another run has mailed them). Rows are claimed under a row lock, so two runs
    for the same batch mail once.
    """
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    pending = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(recipient_id=user_id, version_id=version_id, email=EmailRoute.SOON, emailed_at__isnull=True)
        .select_related("event__actor")
        .order_by("id")
    )
    wanted = _still_wanted(pending, user_id) if user is not None and user.email else []
    now = timezone.now()
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    if not wanted:
        return 0
    version = Version.objects.select_related("shot__project").get(pk=version_id)
    project = version.shot.project
    items = [describe(n) for n in wanted]
    mentioned = sum(1 for n in wanted if NotificationReason.MENTIONED in n.reasons)
    subject = (
        f"{len(items)} new note{'s' if len(items) != 1 else ''} for you on {version.shot.code} v{version.number}"
        if len(items) > 1
        else f"{items[0]['what']} on {version.shot.code} v{version.number}"
    )
    url = unsubscribe_url(user_id=user_id, project_id=project.pk)
    mail_queue(
        key=f"notify:{user_id}:{version_id}:{wanted[0].pk}",
        to=[user.email],
        subject=subject,
        template="reviews/mail/notifications",
        context={
            "subject": subject,
            "project": project.name,
            "items": items,
            "mentioned": mentioned,
            "unsubscribe_url": url,
            "inbox_url": f"{settings.REVIEWSVC_PUBLIC_URL}/review/inbox/",
            "footer": f"project {project.name}",
        },
        headers=_headers(url),
    )
    return len(items)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # Validated when set; a zone a later tzdata dropped falls back to UTC rather than no digest.
        return zoneinfo.ZoneInfo("UTC")


def _clock_hour(moment: datetime, zone: zoneinfo.ZoneInfo) -> tuple[Any, int, Any]:
    """The local clock hour a moment falls in (its offset tells apart the hour a DST change repeats)."""
    local = moment.astimezone(zone)
    return local.date(), local.hour, local.utcoffset()


def digest_due(preferences: DigestPreferences, now: datetime) -> bool:
    """Whether a person's digest may go out at ``now`` (the beat only asks when something is pending).

    Daily: at most one per local calendar day, never before the chosen local hour; so the first
    beat at or after that hour with something pending sends it, and the next day's goes at the
    hour again whatever time today's went. Hourly: at most one per local clock hour.
    Dates and hours are taken in the person's zone with zoneinfo, so DST changes neither skip
    nor double a day.
    """
    if preferences.frequency == DigestFrequency.OFF:
        return False
    zone = _zone(preferences.time_zone)
    last = preferences.last_sent_at
    if preferences.frequency == DigestFrequency.HOURLY:
        return last is None or _clock_hour(last, zone) != _clock_hour(now, zone)
    local = now.astimezone(zone)
    if local.hour < preferences.hour:
        return False
    return last is None or last.astimezone(zone).date() < local.date()


def send_digests(*, now: datetime | None = None) -> int:
    """Mail every person whose digest is due what is pending for it, one mail per project.

    Run by Celery beat every quarter hour (``CELERY_BEAT_SCHEDULE``); returns how many
    mails were queued. Safe to run twice: each person's digest is claimed under a lock.
    """
    now = now or timezone.now()
    people = set(
        Notification.objects.filter(email=EmailRoute.DIGEST, emailed_at__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    return sum(_send_digest(user_id=user_id, now=now) for user_id in sorted(people))


@transaction.atomic
def _send_digest(*, user_id: int, now: datetime) -> int:
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        return 0
    DigestPreferences.objects.get_or_create(user=user)
    preferences = DigestPreferences.objects.select_for_update().get(user=user)
    if not digest_due(preferences, now):
        return 0
    pending = list(
        Notification.objects.filter(recipient_id=user_id, email=EmailRoute.DIGEST, emailed_at__isnull=True)
        .select_related("event__actor")
        .order_by("id")
    )
    wanted = _still_wanted(pending, user_id) if user.email else []
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
    if not wanted:
        # Nothing left worth a mail (all read or deleted since): today's digest is still to come.
        return 0
    preferences.last_sent_at = now
    preferences.save(update_fields=["last_sent_at"])
    per_project: dict[int, list[Notification]] = defaultdict(list)
    for notification in wanted:
        per_project[notification.project_id].append(notification)
    names = dict(Project.objects.filter(pk__in=list(per_project)).values_list("pk", "name"))
    for project_id, notifications in per_project.items():
        items = [describe(n) for n in notifications]
        subject = f"{len(items)} update{'s' if len(items) != 1 else ''} on {names[project_id]}"
        url = unsubscribe_url(user_id=user_id, project_id=project_id)
        mail_queue(
            key=f"digest:{user_id}:{project_id}:{notifications[0].pk}",
            to=[user.email],
            subject=subject,
            template="reviews/mail/digest",
            context={
                "subject": subject,
                "project": names[project_id],
                "items": items,
                "unsubscribe_url": url,
                "inbox_url": f"{settings.REVIEWSVC_PUBLIC_URL}/review/inbox/",
                "footer": f"project {names[project_id]}",
            },
            headers=_headers(url),
        )
    return len(per_project)

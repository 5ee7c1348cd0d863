"""Who is told of an event, and why: one table of rules, read from the database, no writes.

| event                         | who                                              | reason                 |
|-------------------------------|--------------------------------------------------|------------------------|
| comment.created               | members mentioned in it                          | mentioned              |
| comment.created (a reply)     | authors of the thread's other notes              | reply                  |
| comment.created               | whoever uploaded the version                     | note_on_your_version   |
| comment.updated (its text)    | members it now mentions who were not told yet    | mentioned              |
| comment.resolved              | the note's author                                | your_note_resolved     |
| version.created               | the shot's watchers                              | new_version            |
| version.ready / version.failed| whoever uploaded it                              | your_version_ready/failed |
| version.review_status_changed | the shot's watchers                              | review_status_changed  |
| version.decision_changed      | the shot's watchers                              | decision_changed       |
| version.recommended           | the project's directors (they choose the take)   | take_recommended       |

A recommendation tells each director once: not if it was withdrawn before its fan-out, nor
those who have not yet read that mentor's recommendation of that take; a withdrawal, or the
mentor's removal from the project, removes the unread ones (``RETRACTS``, applied by
``services.notifications_create``).

A shot's watchers are those who asked to watch it, and everyone who commented on or uploaded
any of its versions (auto-watch), less those who asked not to. The actor is never told of
their own action, and only current members of the project are told at all.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q

from reviews.models import (
    Comment,
    Event,
    EventKind,
    Membership,
    Notification,
    NotificationReason,
    Recommendation,
    Role,
    ShotWatch,
    Version,
)

Reason = NotificationReason
Recipients = dict[int, set[str]]


def _payload_id(event: Event, key: str) -> int | None:
    value = event.payload.get(key) if isinstance(event.payload, dict) else None
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, int) else None


def event_version_id(event: Event) -> int | None:
    """The version an event is about, from its payload (it may be deleted since)."""
    return _payload_id(event, "version")


def shot_watchers(shot_id: int) -> set[int]:
    """Who watches a shot: explicit watchers, commenters and uploaders, less explicit unwatchers."""
    watches = dict(ShotWatch.objects.filter(shot_id=shot_id).values_list("user_id", "watching"))
    implicit = set(
        Comment.objects.filter(version__shot_id=shot_id, author__isnull=False).values_list(
            "author_id", flat=True
        )
    ) | set(
        Version.objects.filter(shot_id=shot_id, uploaded_by__isnull=False).values_list(
            "uploaded_by_id", flat=True
        )
    )
    return {user for user in implicit if watches.get(user, True)} | {
        user for user, watching in watches.items() if watching
    }


def _comment_created(event: Event, found: Recipients) -> None:
    comment_id = _payload_id(event, "comment")
    comment = Comment.objects.select_related("version").filter(pk=comment_id).first()
    if comment is None:
        # Deleted before we got to it: its words are gone, so is the reason to tell anyone.
        return
    for user_id in _mentioned_when_written(event, comment):
        found[user_id].add(Reason.MENTIONED)
    if comment.thread_id is not None:
        thread = Comment.objects.filter(Q(pk=comment.thread_id) | Q(thread_id=comment.thread_id))
        for user_id in thread.exclude(author__isnull=True).values_list("author_id", flat=True):
            found[user_id].add(Reason.REPLY)
    if comment.version.uploaded_by_id is not None:
        found[comment.version.uploaded_by_id].add(Reason.NOTE_ON_YOUR_VERSION)


def _mentioned_when_written(event: Event, comment: Comment) -> list[int]:
    """Who the note mentioned when it was written (the event's ``mentions``), not since: a
    mention added by an edit before this fan-out ran is the edit's to tell, with its words."""
    names = event.payload.get("mentions")
    if not isinstance(names, list):  # an event recorded before the payload named them
        return list(comment.mentions.values_list("pk", flat=True))
    return list(
        comment.mentions.filter(username__in=[n for n in names if isinstance(n, str)]).values_list(
            "pk", flat=True
        )
    )


def _comment_updated(event: Event, found: Recipients) -> None:
    """An edit that mentions someone new tells them; those already told of this note are not told again."""
    if "body" not in (event.payload.get("changed") or ()):
        return
    comment_id = _payload_id(event, "comment")
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is None:
        return
    # Reasons are a JSON list: read them here rather than with a JSON ``contains`` lookup, which
    # SQLite (make run's default) does not support.
    told = Notification.objects.filter(event__subject_type="comment", event__subject_id=comment_id)
    already = {
        user for user, reasons in told.values_list("recipient_id", "reasons") if Reason.MENTIONED in reasons
    }
    for user_id in comment.mentions.exclude(pk__in=already).values_list("pk", flat=True):
        found[user_id].add(Reason.MENTIONED)


def _comment_resolved(event: Event, found: Recipients) -> None:
    author_id = (
        Comment.objects.filter(pk=_payload_id(event, "comment")).values_list("author_id", flat=True).first()
    )
    if author_id is not None:
        found[author_id].add(Reason.YOUR_NOTE_RESOLVED)


def _to_watchers(reason: Reason) -> Any:
    def rule(event: Event, found: Recipients) -> None:
        shot_id = _payload_id(event, "shot")
        if shot_id is None:
            return
        for user_id in shot_watchers(shot_id):
            found[user_id].add(reason)

    return rule


def _to_uploader(reason: Reason) -> Any:
    def rule(event: Event, found: Recipients) -> None:
        uploader = Version.objects.filter(pk=event_version_id(event)).values_list("uploaded_by_id", flat=True)
        user_id = uploader.first()
        if user_id is not None:
            found[user_id].add(reason)

    return rule


def unread_recommendations(event: Event) -> Any:
    """The unread notifications of ``version.recommended`` by this event's actor, of its take."""
    return Notification.objects.filter(
        version_id=event_version_id(event),
        read_at__isnull=True,
        event__kind=EventKind.VERSION_RECOMMENDED,
        event__actor_id=event.actor_id,
    )


def _recommended(event: Event, found: Recipients) -> None:
    version_id = event_version_id(event)
    if (
        event.actor_id is None
        or not Recommendation.objects.filter(version_id=version_id, user_id=event.actor_id).exists()
    ):
        return  # withdrawn since: nothing to tell
    told = set(unread_recommendations(event).values_list("recipient_id", flat=True))
    directors = Membership.objects.filter(project_id=event.project_id, role=Role.DIRECTOR)
    for user_id in directors.exclude(user_id__in=told).values_list("user_id", flat=True):
        found[user_id].add(Reason.TAKE_RECOMMENDED)


RULES = {
    EventKind.COMMENT_CREATED: _comment_created,
    EventKind.COMMENT_UPDATED: _comment_updated,
    EventKind.COMMENT_RESOLVED: _comment_resolved,
    EventKind.VERSION_CREATED: _to_watchers(Reason.NEW_VERSION),
    EventKind.VERSION_READY: _to_uploader(Reason.YOUR_VERSION_READY),
    EventKind.VERSION_FAILED: _to_uploader(Reason.YOUR_VERSION_FAILED),
    EventKind.VERSION_REVIEW_STATUS_CHANGED: _to_watchers(Reason.REVIEW_STATUS_CHANGED),
    EventKind.VERSION_DECISION_CHANGED: _to_watchers(Reason.DECISION_CHANGED),
    EventKind.VERSION_RECOMMENDED: _recommended,
}


def _withdrawn(event: Event) -> Any:
    if Recommendation.objects.filter(version_id=event_version_id(event), user_id=event.actor_id).exists():
        return Notification.objects.none()  # recommended anew since: it holds again
    return unread_recommendations(event)


def _member_removed(event: Event) -> Any:
    # Their recommendations went with the membership (reviews.services.projects.member_remove).
    return Notification.objects.filter(
        project_id=event.project_id,
        read_at__isnull=True,
        event__kind=EventKind.VERSION_RECOMMENDED,
        event__actor_id=event.subject_id,
    )


# Events that take back what an earlier event told: the notifications each gives are removed.
RETRACTS = {
    EventKind.VERSION_RECOMMENDATION_WITHDRAWN: _withdrawn,
    EventKind.MEMBER_REMOVED: _member_removed,
}


def recipients(event: Event) -> dict[int, list[str]]:
    """``{user id: [reasons, in the order of NotificationReason]}`` for one event: members only, never its actor."""
    rule = RULES.get(event.kind)
    if rule is None:
        return {}
    found: Recipients = defaultdict(set)
    rule(event, found)
    found.pop(event.actor_id, None)
    members = set(
        Membership.objects.filter(project_id=event.project_id, user_id__in=list(found)).values_list(
            "user_id", flat=True
        )
    )
    order = list(Reason)
    return {
        user_id: sorted(reasons, key=order.index) for user_id, reasons in found.items() if user_id in members
    }

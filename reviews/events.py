"""The event record: what happened in a project, written in the transaction of the change.

Services and the media pipeline call ``event_record`` inside the transaction
that makes the change, so an event exists exactly when its change committed.
Once it has, the ``fan_out_event`` task hands the event, by id, to every
registered consumer. Notifications, webhooks, live pages and digests are
consumers: they read events, they never hook into a service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from reviews.models import Comment, Event, EventKind, Membership, Project, Version

logger = logging.getLogger(__name__)

Consumer = Callable[[Event], None]

# Called in order by the fan-out task for every committed event. A consumer
# must be quick (enqueue its own task for slow work such as sending mail) and
# safe to run twice, since the fan-out task may be delivered again.
CONSUMERS: list[Consumer] = []

# How much of a comment's body an event keeps, enough to recognise it in a feed.
EXCERPT_LENGTH = 140


def consumer(function: Consumer) -> Consumer:
    """Register a function to receive every committed event (a decorator)."""
    CONSUMERS.append(function)
    return function


def event_record(
    *,
    kind: EventKind,
    project: Project | int,
    actor: AbstractBaseUser | None,
    subject: models.Model,
    payload: dict[str, Any],
) -> Event:
    """Write an event in the caller's transaction, and fan it out once that commits."""
    from reviews.live import wake
    from reviews.tasks import fan_out_event

    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the event would commit even if the change then failed.
        raise RuntimeError("event_record must be called inside the transaction of the change it records.")
    event = Event.objects.create(
        kind=kind,
        project_id=project if isinstance(project, int) else project.pk,
        actor=actor,
        subject_type=subject._meta.model_name,
        subject_id=subject.pk,
        payload=payload,
    )

    def committed() -> None:
        # Live pages first, from this process: a stream's wake-up must not wait behind the
        # fan-out queue (docs/live.md). It never raises.
        wake(event.project_id, event.pk)
        fan_out_event.delay(event.pk)

    transaction.on_commit(committed)
    return event


def fan_out(event_id: int) -> None:
    """Give one committed event to every consumer."""
    event = Event.objects.select_related("project", "actor").filter(pk=event_id).first()
    if event is None:
        # Its project was deleted since: there is nobody left to tell.
        logger.info("event %s is gone before its fan-out", event_id)
        return
    logger.debug("fanning out %s to %d consumers", event, len(CONSUMERS))
    for receive in CONSUMERS:
        receive(event)


# --- payloads: what a reader needs once the subject may be gone ------------


def version_payload(version: Version) -> dict[str, Any]:
    return {
        "version": {"id": version.pk, "number": version.number},
        "shot": {"id": version.shot_id, "code": version.shot.code},
    }


def comment_payload(comment: Comment) -> dict[str, Any]:
    body = comment.body
    excerpt = body if len(body) <= EXCERPT_LENGTH else body[: EXCERPT_LENGTH - 1] + "…"
    return {
        "comment": {
            "id": comment.pk,
            "parent": comment.parent_id,
            "thread": comment.thread_id,
            "frame": comment.frame,
            "frame_end": comment.frame_end,
            "excerpt": excerpt,
            # Consumers that reach guests (live pages) must skip internal notes.
            "internal": comment.internal or (comment.thread_id is not None and comment.thread.internal),
            "guest": None
            if comment.guest_id is None
            else {"id": comment.guest_id, "name": comment.guest.name},
        },
        **version_payload(comment.version),
    }


def forget_comment_text(comment_ids: Iterable[int]) -> None:
    """Blank the excerpts the record holds of comments that were deleted.

    Deleting a note takes its words away from the conversation; they must not stay
    readable in the activity feed. What happened (who, when, which frame) stays.
    """
    events = Event.objects.filter(subject_type="comment", subject_id__in=list(comment_ids)).only("payload")
    for event in events:
        quoted = event.payload.get("comment") if isinstance(event.payload, dict) else None
        if isinstance(quoted, dict) and quoted.get("excerpt"):
            quoted["excerpt"] = ""
            event.save(update_fields=["payload"])


def member_payload(membership: Membership) -> dict[str, Any]:
    return {"user": {"id": membership.user_id, "username": membership.user.get_username()}}

"""Writes of comments: notes, replies, edits, resolution, deletion."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from reviews.events import comment_payload, event_record, forget_comment_text
from reviews.models import (
    Comment,
    EventKind,
    Membership,
    Version,
)

# Django usernames may hold letters, digits and @.+-_; a trailing dot is the
# end of the sentence, not of the name.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")

# What comment_update receives for a field the client did not send: None is a
# value there (an annotation of None removes the drawing).
UNCHANGED: Any = object()


def _mentioned_members(project_id: int, body: str) -> list[AbstractBaseUser]:
    names = {name.rstrip(".") for name in _MENTION.findall(body)}
    if not names:
        return []
    memberships = Membership.objects.filter(project_id=project_id, user__username__in=names)
    return [membership.user for membership in memberships.select_related("user")]


def _usernames(users: list[AbstractBaseUser]) -> list[str]:
    return sorted(user.get_username() for user in users)


def comment_create(
    *,
    version: Version,
    author: AbstractBaseUser | None,
    body: str,
    frame: int | None = None,
    frame_end: int | None = None,
    parent: Comment | None = None,
    annotation: Any = None,
    category: str = "",
    severity: str = "",
    internal: bool = False,
    guest: Any = None,
) -> Comment:
    """A note or reply by a member (``author``) or by a guest of a review link (``guest``, a
    ReviewLinkGuest; author None). An internal note is hidden from guests; a reply written while
    its thread is internal is stored internal, and any reply is hidden while its thread is."""
    thread = None
    if parent is not None:
        if parent.version_id != version.pk:
            raise ValidationError(
                {"parent": ["A reply must be on the same version as the comment it answers."]}
            )
        # A reply belongs to its thread's moment in the clip.
        thread = parent.thread or parent
        frame, frame_end = thread.frame, thread.frame_end
        internal = internal or thread.internal
    with transaction.atomic():
        if thread is not None:
            _lock_thread(thread.pk)
            if not Comment.objects.filter(pk=parent.pk).exists():
                raise ValidationError({"parent": ["The comment you are answering was deleted."]})
        comment = Comment.objects.create(
            version=version,
            parent=parent,
            thread=thread,
            author=author,
            body=body,
            frame=frame,
            frame_end=frame_end,
            annotation=annotation,
            category=category,
            severity=severity,
            internal=internal,
            guest=guest,
        )
        # Guests see no member list, so they mention no one.
        mentioned = [] if guest is not None else _mentioned_members(version.shot.project_id, body)
        comment.mentions.set(mentioned)
        event_record(
            kind=EventKind.COMMENT_CREATED,
            project=version.shot.project_id,
            actor=author,
            subject=comment,
            payload={**comment_payload(comment), "mentions": _usernames(mentioned)},
        )
    return comment


@transaction.atomic
def comment_update(
    *,
    comment: Comment,
    by: AbstractBaseUser,
    body: str | None = None,
    annotation: Any = UNCHANGED,
    resolved: bool | None = None,
    category: str | None = None,
    severity: str | None = None,
    internal: bool | None = None,
) -> Comment:
    """Edit a comment; None (or UNCHANGED for the annotation) leaves a field as it is.

    ``category`` and ``severity`` (reviews.models.NoteCategory, Severity; "" clears) belong to a
    thread's first note: set on a reply they are a ValidationError.
    """
    # Edits of one comment queue on its row, and each reads the row its predecessor left:
    # the body stored and the mentions stored always come from the same request.
    try:
        comment.refresh_from_db(from_queryset=Comment.objects.select_for_update())
    except Comment.DoesNotExist:
        raise Http404("This comment was deleted meanwhile.") from None
    retyped = category is not None or severity is not None
    if comment.deleted_at is not None and (body is not None or annotation is not UNCHANGED or retyped):
        raise ValidationError({"detail": "This note was deleted; it can no longer be edited."})
    fields = []
    if body is not None and body != comment.body:
        comment.body = body
        comment.edited_at = timezone.now()
        fields += ["body", "edited_at"]
        comment.mentions.set(_mentioned_members(comment.version.shot.project_id, body))
    if annotation is not UNCHANGED:
        comment.annotation = annotation
        comment.edited_at = timezone.now()
        fields += ["annotation", "edited_at"]
    for name, value in (("category", category), ("severity", severity)):
        if value is not None and value != getattr(comment, name):
            if comment.parent_id is not None:
                raise ValidationError(
                    {name: [f"A reply takes its thread's {name}; set it on the note that starts the thread."]}
                )
            setattr(comment, name, value)
            fields.append(name)
    if internal is not None and internal != comment.internal:
        # Only the note's own flag: a reply is hidden while its thread is internal (read as
        # "own flag or the thread's", reviews.review_links), and one written internal stays so
        # when the thread is made public again.
        comment.internal = internal
        fields += ["internal"]
    edited = sorted({"body", "annotation", "category", "severity", "internal"} & set(fields))
    if resolved is not None and resolved != comment.resolved:
        comment.resolved = resolved
        comment.resolved_by = by if resolved else None
        comment.resolved_at = timezone.now() if resolved else None
        fields += ["resolved", "resolved_by", "resolved_at"]
    if not fields:
        return comment
    comment.save(update_fields=sorted(set(fields)))
    project_id = comment.version.shot.project_id
    if edited:
        event_record(
            kind=EventKind.COMMENT_UPDATED,
            project=project_id,
            actor=by,
            subject=comment,
            payload={**comment_payload(comment), "changed": edited},
        )
    if "resolved" in fields:
        event_record(
            kind=EventKind.COMMENT_RESOLVED if comment.resolved else EventKind.COMMENT_REOPENED,
            project=project_id,
            actor=by,
            subject=comment,
            payload=comment_payload(comment),
        )
    return comment


def _lock_thread(top_id: int) -> None:
    """Lock a thread's top-level comment: replies and deletions in one thread queue on it, so a
    reply cannot land under a note while its deletion decides whether others have replied."""
    if not list(Comment.objects.select_for_update().filter(pk=top_id).values_list("pk", flat=True)):
        raise Http404("This thread was deleted meanwhile.")


@transaction.atomic
def comment_delete(*, comment: Comment, by: AbstractBaseUser) -> None:
    """Delete a comment as ``by``, its author or a moderator (the view has checked which).

    A moderator removes the comment with its whole reply tree. An author whose
    comment has replies from other people leaves a tombstone: the body, drawing
    and mentions go, the row stays (``deleted_at``) so those replies keep their
    thread. Without such replies the author's comment goes with their own replies.
    A tombstone left with no replies at all is removed too, up the tree.
    """
    top_id = comment.thread_id or comment.pk
    _lock_thread(top_id)
    rows = {
        row["pk"]: row
        for row in Comment.objects.filter(Q(pk=top_id) | Q(thread_id=top_id)).values(
            "pk", "parent_id", "author_id", "deleted_at"
        )
    }
    if comment.pk not in rows:
        raise Http404("This comment was deleted meanwhile.")
    # Recorded before the delete, which clears the primary key.
    event_record(
        kind=EventKind.COMMENT_DELETED,
        project=comment.version.shot.project_id,
        actor=by,
        subject=comment,
        payload={**comment_payload(comment), "author": comment.author_id},
    )
    forget_comment_text([comment.pk])
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in rows.values():
        children[row["parent_id"]].append(row["pk"])
    below, pending = [], list(children[comment.pk])
    while pending:
        pk = pending.pop()
        below.append(rows[pk])
        pending += children[pk]

    if comment.author_id is not None and comment.author_id == by.pk:
        others_replied = any(
            row["deleted_at"] is None and row["author_id"] != comment.author_id for row in below
        )
        if others_replied:
            if rows[comment.pk]["deleted_at"] is None:
                Comment.objects.filter(pk=comment.pk).update(
                    body="", annotation=None, deleted_at=timezone.now()
                )
                comment.mentions.clear()
            return

    Comment.objects.filter(pk__in=[comment.pk, *(row["pk"] for row in below)]).delete()
    forget_comment_text(row["pk"] for row in below)
    # No empty tombstones: an ancestor kept only for replies that are now gone goes too.
    removed, parent_id = comment.pk, rows[comment.pk]["parent_id"]
    while parent_id is not None and rows[parent_id]["deleted_at"] is not None:
        if [pk for pk in children[parent_id] if pk != removed]:
            break
        Comment.objects.filter(pk=parent_id).delete()
        removed, parent_id = parent_id, rows[parent_id]["parent_id"]

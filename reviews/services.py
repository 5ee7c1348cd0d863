"""Every write of the review domain. Views and tasks call these; nothing else writes."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from reviews import selectors, takes
from reviews.events import comment_payload, event_record, forget_comment_text, member_payload, version_payload
from reviews.media import pipeline, storage
from reviews.models import (
    Comment,
    EventKind,
    Membership,
    ProcessingState,
    Project,
    Role,
    Shot,
    Version,
    VersionView,
)

# Django usernames may hold letters, digits and @.+-_; a trailing dot is the
# end of the sentence, not of the name.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")

# What comment_update receives for a field the client did not send: None is a
# value there (an annotation of None removes the drawing).
UNCHANGED: Any = object()

M = TypeVar("M", bound=models.Model)


def model_update(*, instance: M, data: dict[str, Any]) -> tuple[M, list[str]]:
    """Set ``data`` on ``instance`` and save only the columns that changed.

    Changes are found on the columns, not the names given, so a property such as
    a project's ``fps`` saves the numerator and denominator behind it.
    """
    columns = instance._meta.concrete_fields
    before = {field.attname: getattr(instance, field.attname) for field in columns}
    for name, value in data.items():
        setattr(instance, name, value)
    changed = [field.name for field in columns if getattr(instance, field.attname) != before[field.attname]]
    if changed:
        instance.save(update_fields=changed)
    return instance, changed


def project_create(
    *, created_by: AbstractBaseUser, name: str, description: str = "", fps: Any = 24
) -> Project:
    project = Project(name=name, description=description, created_by=created_by)
    project.fps = fps
    with transaction.atomic():
        project.save()
        Membership.objects.create(project=project, user=created_by, role=Role.DIRECTOR)
    return project


def project_update(*, project: Project, **fields: Any) -> Project:
    project, _ = model_update(instance=project, data=fields)
    return project


@transaction.atomic
def member_add(*, project: Project, user: AbstractBaseUser, role: str, by: AbstractBaseUser) -> Membership:
    if Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError({"user": [f"{user.get_username()} is already a member of this project."]})
    membership = Membership.objects.create(project=project, user=user, role=role)
    event_record(
        kind=EventKind.MEMBER_ADDED,
        project=project,
        actor=by,
        subject=user,
        payload={**member_payload(membership), "role": role},
    )
    return membership


def _ensure_another_director(membership: Membership) -> None:
    """Refuse to leave a project without a director, even when two directors step down at once.

    Every director row of the project is locked, in id order so that two callers queue instead
    of deadlocking; the second caller then sees the first one's change and is refused.
    """
    directors = list(
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.DIRECTOR)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    if directors == [membership.pk]:
        raise ValidationError({"detail": "A project needs a director: make someone else director first."})


@transaction.atomic
def member_update(*, membership: Membership, role: str, by: AbstractBaseUser) -> Membership:
    if role != Role.DIRECTOR:
        _ensure_another_director(membership)
    previous = membership.role
    # An update, not save(): a membership removed meanwhile is a 404, not a failed save.
    if not Membership.objects.filter(pk=membership.pk).update(role=role):
        raise Http404("This person is no longer a member of the project.")
    membership.role = role
    if role != previous:
        event_record(
            kind=EventKind.MEMBER_ROLE_CHANGED,
            project=membership.project_id,
            actor=by,
            subject=membership.user,
            payload={**member_payload(membership), "from": previous, "to": role},
        )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: AbstractBaseUser) -> None:
    _ensure_another_director(membership)
    event_record(
        kind=EventKind.MEMBER_REMOVED,
        project=membership.project_id,
        actor=by,
        subject=membership.user,
        payload={**member_payload(membership), "role": membership.role},
    )
    membership.delete()


@contextmanager
def _shot_code_checked(shot: Shot) -> Iterator[None]:
    """Answer a code that another shot of the project has, in any case, with a 400 naming that
    shot. The unique constraint decides, so two racing requests cannot both win."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if "shot_unique_code_nocase" not in str(error):
            raise
        twin = selectors.shot_with_code(project=shot.project, code=shot.code, exclude=shot)
        raise ValidationError({"code": [shot_code_taken(twin)]}) from None


def shot_code_taken(twin: Shot | None) -> str:
    if twin is None:
        return (
            "This project already has a shot with this code; shot codes are compared without regard to case."
        )
    title = f" ({twin.title})" if twin.title else ""
    return (
        f"This project already has a shot {twin.code}{title}, id {twin.pk}; "
        "shot codes are compared without regard to case."
    )


def shot_create(*, project: Project, **fields: Any) -> Shot:
    if "order" not in fields:
        # A new shot goes after the others, whatever order the director gave them.
        last = Shot.objects.filter(project=project).aggregate(last=models.Max("order"))["last"]
        fields["order"] = 0 if last is None else last + 1
    shot = Shot(project=project, **fields)
    with _shot_code_checked(shot):
        shot.save()
    return shot


def shot_update(*, shot: Shot, **fields: Any) -> Shot:
    with _shot_code_checked(shot):
        shot, _ = model_update(instance=shot, data=fields)
    return shot


def file_sha256(file: File) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def version_upload(
    *,
    shot: Shot,
    uploaded_by: AbstractBaseUser,
    file: File,
    note: str = "",
    generation: dict[str, Any] | None = None,
    parent_version: int | None = None,
) -> Version:
    """Store an uploaded clip as the shot's next version and queue its processing.

    A file ffprobe cannot open as a video (text, an audio track, a still image)
    is refused with a ValidationError on ``file`` before a number is taken. The
    number comes from a counter on the shot, bumped under the shot's row lock,
    so racing uploads get consecutive numbers and never the same one.
    """
    from reviews.tasks import process_version

    # Before the file is stored: a parent that is no take of this shot is refused with nothing to undo.
    parent = takes.parent_check(shot_id=shot.pk, version=None, parent_id=parent_version)
    # The upload handler hashed the bytes as they arrived; a file from
    # elsewhere (a command, a benchmark) is hashed here.
    sha256 = getattr(file, "sha256", None) or file_sha256(file)
    version = Version(
        shot=shot,
        uploaded_by=uploaded_by,
        note=note,
        generation=generation or {},
        parent_version=parent,
        original_filename=file.name or "",
        size_bytes=file.size,
        sha256=sha256,
    )
    version.file.save(file.name or "clip", file, save=False)
    try:
        refusal = pipeline.upload_refusal(version.file.name)
        if refusal:
            raise ValidationError({"file": [refusal]})
        with transaction.atomic():
            Shot.objects.filter(pk=shot.pk).update(last_version_number=F("last_version_number") + 1)
            version.number = Shot.objects.values_list("last_version_number", flat=True).get(pk=shot.pk)
            version.save()
            event_record(
                kind=EventKind.VERSION_CREATED,
                project=shot.project_id,
                actor=uploaded_by,
                subject=version,
                payload={
                    **version_payload(version),
                    "original_filename": version.original_filename,
                    "note": version.note,
                },
            )
            transaction.on_commit(lambda: process_version.delay(version.pk))
    except BaseException:
        # The row did not commit (a value the database refuses, a conflict, a dropped connection,
        # the request cut short): no row owns the stored original, so it goes now. Django has no
        # on-rollback hook; an outer transaction that rolls back later is the sweep's to catch.
        storage.remove_original(version.file.name)
        raise
    return version


def version_seen(*, version: Version, user: AbstractBaseUser) -> None:
    """Note that `user` has just looked at `version`: its activity until now is read."""
    VersionView.objects.update_or_create(version=version, user=user, defaults={"seen_at": timezone.now()})


@transaction.atomic
def version_update(*, version: Version, by: AbstractBaseUser, **fields: Any) -> Version:
    # The take's decision and lineage queue on the shot's lock (reviews/takes.py).
    if "decision" in fields:
        takes.version_decide(version=version, decision=fields.pop("decision"), by=by)
    if "parent_version" in fields:
        takes.version_set_parent(version=version, parent_id=fields.pop("parent_version"))
    previous_status = version.review_status
    version, changed = model_update(instance=version, data=fields)
    if "review_status" in changed:
        event_record(
            kind=EventKind.VERSION_REVIEW_STATUS_CHANGED,
            project=version.shot.project_id,
            actor=by,
            subject=version,
            payload={**version_payload(version), "from": previous_status, "to": version.review_status},
        )
    return version


def _delete_with_media(instance: Project | Shot | Version, versions: list[Version]) -> None:
    """Delete rows, then, once that has committed, the files of every version they held."""
    # Read before the delete, which clears the primary key of the instance it is given.
    doomed = [(version.pk, version.file.name) for version in versions]
    with transaction.atomic():
        instance.delete()

        def remove_files() -> None:
            for version_id, original in doomed:
                storage.remove_version(version_id, original)

        transaction.on_commit(remove_files)


def version_delete(*, version: Version) -> None:
    _delete_with_media(version, [version])


def shot_delete(*, shot: Shot) -> None:
    _delete_with_media(shot, list(shot.versions.all()))


def project_delete(*, project: Project) -> None:
    _delete_with_media(project, list(Version.objects.filter(shot__project=project)))


def version_reprocess(*, version: Version) -> Version:
    """Run the pipeline again from the original, e.g. after fixing a worker or a limit."""
    from reviews.tasks import process_version

    with transaction.atomic():
        Version.objects.filter(pk=version.pk).update(
            processing_state=ProcessingState.QUEUED,
            processing_progress=0,
            processing_error="",
            processing_attempts=0,
        )
        transaction.on_commit(lambda: process_version.delay(version.pk))
    version.refresh_from_db()
    return version


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
    ReviewLinkGuest; author None). An internal note is hidden from guests; a reply is internal
    when its thread is."""
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
        # A thread is internal as a whole: its replies follow the note they answer.
        comment.internal = internal
        Comment.objects.filter(thread=comment).update(internal=internal)
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

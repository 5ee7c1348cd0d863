"""Writes of versions: upload, edit, review, delete with their media, reprocess."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from psycopg import errors as psycopg_errors

from reviews import carry_over, takes
from reviews.events import event_record, version_payload
from reviews.media import pipeline, storage
from reviews.models import (
    EventKind,
    ProcessingState,
    Project,
    Shot,
    Version,
    VersionView,
)
from reviews.services.projects import model_update

logger = logging.getLogger(__name__)


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


# A delete that a worker's concurrent write made fail (see _delete_with_media) is tried again
# this many times in all before the error reaches the client.
DELETE_ATTEMPTS = 3


def _is_write_conflict(error: DatabaseError) -> bool:
    cause = error.__cause__
    return isinstance(cause, (psycopg_errors.ForeignKeyViolation, psycopg_errors.DeadlockDetected))


def _delete_with_media(
    instance: Project | Shot | Version,
    versions: QuerySet[Version],
    *,
    shot_id: int | None = None,
    before: Callable[[Any], object] | None = None,
) -> None:
    """Delete ``instance`` and, once that has committed, the files of ``versions`` (what it holds).

    Locks the shot ``shot_id`` (as lineage changes do, reviews/takes.py), then the rows, before
    Django's collector reads what refers to them. A worker's row naming them (a notification, a
    pipeline event) checks that reference when it commits, under a key-share lock: with these locks
    the worker waits for the delete and its own write fails (its task retries). A conflict the
    locks cannot order (a deadlock with a worker's checks on several rows, a row committed before
    the lock) rolls the delete back, and it is tried again from the start, up to DELETE_ATTEMPTS
    times when no outer transaction holds it. Raises Http404 if the shot was deleted meanwhile.
    ``before(target)`` runs under the locks, just before the delete.
    """
    model, pk = type(instance), instance.pk
    attempts = 1 if transaction.get_connection().in_atomic_block else DELETE_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                if shot_id is not None:
                    takes.lock_shot(shot_id)
                target = model._base_manager.select_for_update().filter(pk=pk).first()
                if target is None:
                    return  # deleted meanwhile: what was asked holds
                doomed = list(versions.select_for_update().values_list("pk", "file"))
                if before is not None:
                    before(target)
                target.delete()

                def remove_files(doomed: list[tuple[int, str]] = doomed) -> None:
                    for version_id, original in doomed:
                        storage.remove_version(version_id, original)

                transaction.on_commit(remove_files)
            return
        except DatabaseError as error:
            if attempt == attempts or not _is_write_conflict(error):
                raise
            logger.info("delete of %s %s met a concurrent write; trying again", model.__name__, pk)


def version_delete(*, version: Version) -> None:
    """Delete ``version`` and, after commit, its files; the takes regenerated from it lose their parent.

    A parallel ``parent_version`` change either lands first (and the delete then clears it) or
    waits on the shot's lock and is refused as naming no version of the shot. Its open threads
    shown on later takes move onto the first of them (``carry_over.rehome_carried_threads``).
    """
    _delete_with_media(
        version,
        Version.objects.filter(pk=version.pk),
        shot_id=version.shot_id,
        before=lambda target: carry_over.rehome_carried_threads(version=target),
    )


def shot_delete(*, shot: Shot) -> None:
    _delete_with_media(shot, Version.objects.filter(shot_id=shot.pk))


def project_delete(*, project: Project) -> None:
    _delete_with_media(project, Version.objects.filter(shot__project_id=project.pk))


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

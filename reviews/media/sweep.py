"""Remove the files no row owns: what a crash, a lost race or a killed request left behind.

Requests and the pipeline clean up after themselves (a refused upload deletes its original, a
delete removes the version's folder, a render of a deleted version removes what it made). What
they cannot clean up, a process killed halfway or a race between a delete and a render, the
sweep finds later: reviews.media.storage lists what is there, this module asks the rows who owns
it, and removes what nobody does once it has not changed for a grace period, so an upload or a
render still in flight is never touched.

Owners: a version owns its original; its published run (``outputs_dir``) and its current run
(``processing_run``); and that run's scratch folder while it is processing. Nothing in the
upload folder is owned: what is there belongs to a request or a render in progress, which keeps
its files for at most the longest task, so those wait out that time instead of the grace.

Workers run it every REVIEWSVC_SWEEP_SECONDS (``start_sweeping``); ``manage.py sweep_media``
runs it by hand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.db import connection
from django.utils import timezone

from reviews.media import storage
from reviews.media.storage import Leftover
from reviews.models import ProcessingState, Version

logger = logging.getLogger(__name__)


def _owned(leftovers: list[Leftover]) -> Callable[[Leftover], bool]:
    """Who owns what, read from the rows after the files were listed: a version created meanwhile
    is seen, and one deleted meanwhile loses its files."""
    originals = [leftover.name for leftover in leftovers if leftover.kind == "original"]
    owned_originals = set(Version.objects.filter(file__in=originals).values_list("file", flat=True))
    ids = {leftover.version_id for leftover in leftovers if leftover.version_id is not None}
    rows = {
        pk: (state, run, PurePosixPath(outputs_dir).name if outputs_dir else "")
        for pk, state, run, outputs_dir in Version.objects.filter(pk__in=ids).values_list(
            "pk", "processing_state", "processing_run", "outputs_dir"
        )
    }

    def owned(leftover: Leftover) -> bool:
        if leftover.kind == "original":
            return leftover.name in owned_originals
        row = rows.get(leftover.version_id) if leftover.version_id is not None else None
        if row is None:
            # A deleted version's folder goes whole, so what is in it is left to that.
            return leftover.kind in ("run", "scratch")
        state, run, published = row
        if leftover.kind == "home":
            return True
        if leftover.kind == "run":
            return leftover.run in (run, published)
        if leftover.kind in ("scratch", "temporary"):
            return leftover.run == run and state == ProcessingState.PROCESSING
        return False

    return owned


def find_orphans(*, grace: timedelta, now: datetime | None = None) -> list[Leftover]:
    """What no row owns and nothing has changed for `grace` (in the upload folder, for the
    longest task's time limit if that is longer)."""
    now = now or timezone.now()
    leftovers = list(storage.leftovers())
    owned = _owned(leftovers)
    in_flight_limit = max(grace, timedelta(seconds=settings.CELERY_TASK_MAX_TIME_LIMIT))

    def settled(leftover: Leftover) -> bool:
        if leftover.modified is None:
            return True
        limit = in_flight_limit if leftover.kind == "temporary" else grace
        return leftover.modified < now - limit

    return [leftover for leftover in leftovers if not owned(leftover) and settled(leftover)]


def sweep(
    *,
    grace: timedelta,
    dry_run: bool = False,
    on_orphan: Callable[[Leftover], None] | None = None,
) -> list[Leftover]:
    """Remove the orphans (find_orphans), or only list them if `dry_run`; the orphans found.

    `on_orphan` hears of each one before it is removed, so a long run can report its progress.
    """
    orphans = find_orphans(grace=grace)
    for orphan in orphans:
        if on_orphan is not None:
            on_orphan(orphan)
        if not dry_run:
            storage.remove_leftover(orphan)
    return orphans


def _log_removed(orphans: Iterable[Leftover]) -> None:
    for orphan in orphans:
        logger.warning("removed %s %s: no row owns it", orphan.kind, orphan.name)


def sweep_forever(interval: float, stop: threading.Event | None = None) -> None:
    """Every `interval` seconds, sweep with the configured grace; never stop the worker."""
    stop = stop or threading.Event()
    while not stop.wait(interval):
        try:
            _log_removed(sweep(grace=timedelta(seconds=settings.SWEEP_GRACE_SECONDS)))
        except Exception:
            logger.exception("could not sweep the media storage for files no row owns")
        finally:
            connection.close()


def start_sweeping() -> threading.Thread | None:
    """Run sweep_forever in a thread of this worker, unless REVIEWSVC_SWEEP_SECONDS is 0.

    Every worker sweeps: removing is idempotent (what another worker removed first is skipped),
    and an hourly listing of the media folders costs little beside a transcode.
    """
    if not settings.SWEEP_SECONDS:
        return None
    thread = threading.Thread(target=sweep_forever, args=(settings.SWEEP_SECONDS,), name="sweep", daemon=True)
    thread.start()
    return thread

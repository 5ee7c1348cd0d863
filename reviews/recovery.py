"""Put back in the queue the versions whose worker died mid-job.

Delivery is at-least-once (acks late, requeue when a worker's pool child
dies), with one gap: when a whole worker process dies (SIGKILL, a machine or
container crash), Redis hands its unacknowledged job to another worker only
after the broker's visibility timeout, hours long so that a long transcode is
never run twice. Until then the version would sit in ``processing``.

So a worker, when it starts, asks the live workers what they are running and
queues again every version in ``processing`` that none of them holds. The
new job claims a new run; should the old message come back later, it finds
its run gone and changes nothing (see processing.claim).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection

from reviews.models import ProcessingState, Version

logger = logging.getLogger(__name__)

# How long the live workers have to say what they are running.
INSPECT_TIMEOUT = 2.0


def _held_by(workers: dict[str, list[dict[str, Any]]] | None) -> tuple[set[int], set[str]]:
    """Version ids and runs that the workers' active or reserved jobs hold."""
    versions: set[int] = set()
    runs: set[str] = set()
    for jobs in (workers or {}).values():
        for job in jobs:
            args = job.get("args") or []
            if job.get("name") == "reviews.tasks.process_version" and args:
                versions.add(int(args[0]))
            elif job.get("name") == "reviews.tasks.render_version" and len(args) > 1:
                runs.add(str(args[1]))
    return versions, runs


def orphaned_versions(
    in_processing: dict[int, str], held: Iterable[dict[str, list[dict[str, Any]]] | None]
) -> list[int]:
    """Of the versions that were in processing (id: run) before the workers were asked, those no
    live worker's job holds and that are still in the same run now."""
    versions: set[int] = set()
    runs: set[str] = set()
    for workers in held:
        more_versions, more_runs = _held_by(workers)
        versions |= more_versions
        runs |= more_runs
    unheld = {pk: run for pk, run in in_processing.items() if pk not in versions and run not in runs}
    still = Version.objects.filter(pk__in=unheld, processing_state=ProcessingState.PROCESSING)
    return sorted(pk for pk, run in still.values_list("pk", "processing_run") if unheld[pk] == run)


def requeue_orphans(app: Any) -> list[int]:
    """Queue again what dead workers left in processing; the ids queued.

    The versions are read before the workers are asked, so a job that starts in
    between is not taken for an orphan; reserved jobs are asked for before
    active ones, so a job moving from one list to the other is seen in either.
    """
    from reviews.tasks import process_version

    try:
        in_processing = dict(
            Version.objects.filter(processing_state=ProcessingState.PROCESSING).values_list(
                "pk", "processing_run"
            )
        )
        if not in_processing:
            return []
        inspect = app.control.inspect(timeout=INSPECT_TIMEOUT)
        reserved = inspect.reserved()
        active = inspect.active()
        orphans = orphaned_versions(in_processing, [reserved, active])
        for version_id in orphans:
            logger.warning(
                "version %s was left in processing by a worker that is gone; queuing it again", version_id
            )
            process_version.delay(version_id)
        return orphans
    except Exception:
        # Recovery is a courtesy of a starting worker: it must never stop the worker.
        logger.exception("could not look for versions left behind by dead workers")
        return []
    finally:
        connection.close()

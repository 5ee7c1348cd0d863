"""Put back in the queue the versions whose job a dead worker or a broker lost.

Delivery is at-least-once (acks late, requeue when a worker's pool child
dies), with one gap: when a whole worker process dies (SIGKILL, a machine or
container crash), Redis hands its unacknowledged job to another worker only
after the broker's visibility timeout, hours long so that a long transcode is
never run twice. Until then the version would sit in ``processing``.

So a worker, when it starts, asks the live workers what they are running and
queues again every version in ``processing`` that none of them holds. The
new job claims a new run; should the old message come back later, it finds
its run gone and changes nothing (see pipeline.claim).

A broker can lose jobs too: a Redis that keeps nothing on disk forgets its
queues when it restarts, and one with an append-only log can lose the last
second of them in a crash. So every worker on Redis also compares, every
REVIEWSVC_RECONCILE_SECONDS, the versions the database says are queued or in
processing with the jobs Redis holds (waiting or delivered) and the live
workers run, and queues again each version missing from both twice in a row
(once could be a job on its way). A lock in Redis lets one worker at a time
do it.

The functions here are handed the way to queue a version (``enqueue``, which
reviews.tasks supplies), so that the Celery interface depends on this module
and not the other way round.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connection

from reviews.models import ProcessingState, Version

logger = logging.getLogger(__name__)

# How long the live workers have to say what they are running.
INSPECT_TIMEOUT = 2.0
# Queues the processing of a version, given its id.
Enqueue = Callable[[int], None]


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


def requeue_orphans(app: Any, enqueue: Enqueue) -> list[int]:
    """Queue again what dead workers left in processing; the ids queued.

    The versions are read before the workers are asked, so a job that starts in
    between is not taken for an orphan; reserved jobs are asked for before
    active ones, so a job moving from one list to the other is seen in either.
    """
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
            enqueue(version_id)
        return orphans
    except Exception:
        # Recovery is a courtesy of a starting worker: it must never stop the worker.
        logger.exception("could not look for versions left behind by dead workers")
        return []
    finally:
        connection.close()


# --- jobs a broker lost ------------------------------------------------------

_TASKS = ("reviews.tasks.process_version", "reviews.tasks.render_version")


def _version_of(payload: bytes | str, queue: str) -> int | None:
    """The version id a raw Redis message of our tasks on `queue` is about (Celery's message
    protocol 2), or None for anything else."""
    try:
        message = json.loads(payload)
        if isinstance(message, list):  # the unacked hash holds [message, exchange, routing key]
            message = message[0]
        if message["properties"]["delivery_info"]["routing_key"] != queue:
            return None  # the unacked hash is shared by every queue on this database
        if message["headers"]["task"] not in _TASKS:
            return None
        body = message["body"]
        if message["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body)
        return int(json.loads(body)[0][0])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def versions_in_broker(channel: Any, queue: str) -> set[int]:
    """Version ids of the jobs a Redis broker holds for `queue`: waiting (at every priority) or
    delivered to a worker and not yet acknowledged."""
    client = channel.client
    raw: list[bytes] = []
    for key in {channel._q_for_pri(queue, priority) for priority in channel.priority_steps}:
        raw += client.lrange(key, 0, -1)
    raw += client.hvals(channel.unacked_key)
    return {pk for pk in (_version_of(payload, queue) for payload in raw) if pk is not None}


def requeue_lost(app: Any, suspects: set[int], enqueue: Enqueue) -> tuple[list[int], set[int]]:
    """One comparison of the database with the broker and the workers: (the versions queued
    again, the suspects for next time). A version is queued again only if it was a suspect already.

    A version queued or in processing is held if the broker holds a job of it or a live worker
    runs one. Read in this order, a job moving on meanwhile (from the database's queue to the
    broker, from the broker to a worker) is seen at least once.
    """
    candidates = {
        pk: (state, run)
        for pk, state, run in Version.objects.filter(
            processing_state__in=[ProcessingState.QUEUED, ProcessingState.PROCESSING]
        ).values_list("pk", "processing_state", "processing_run")
    }
    if not candidates:
        return [], set()
    with app.connection_for_read() as conn:
        in_broker = versions_in_broker(conn.default_channel, settings.CELERY_TASK_DEFAULT_QUEUE)
    inspect = app.control.inspect(timeout=INSPECT_TIMEOUT)
    answers = [inspect.reserved(), inspect.active()]
    versions, runs = set(in_broker), set()
    for workers in answers:
        more_versions, more_runs = _held_by(workers)
        versions |= more_versions
        runs |= more_runs
    # Without an answer from the workers, a version in processing may well be running.
    judged = (
        (ProcessingState.QUEUED, ProcessingState.PROCESSING) if any(answers) else (ProcessingState.QUEUED,)
    )
    missing = {
        pk
        for pk, (state, run) in candidates.items()
        if state in judged and pk not in versions and run not in runs
    }
    lost = sorted(missing & suspects)
    for version_id in lost:
        logger.warning(
            "the job of version %s is neither in the broker nor on a worker; queuing it again", version_id
        )
        enqueue(version_id)
    return lost, missing - set(lost)


def reconcile_forever(
    app: Any, interval: float, enqueue: Enqueue, stop: threading.Event | None = None
) -> None:
    """Every `interval` seconds, queue again what the broker lost (see requeue_lost).

    The lock and the suspects live in Redis, so that workers take turns and any of them can
    confirm what another one suspected.
    """
    stop = stop or threading.Event()
    # Named after the queue: deployments (and test runs) that share a Redis have their own.
    lock, suspected = (
        f"reviewsvc:{settings.CELERY_TASK_DEFAULT_QUEUE}:{name}" for name in ("reconciling", "suspects")
    )
    unreachable = app.connection_for_write().connection_errors  # not connected until used
    while not stop.wait(interval):
        try:
            with app.connection_for_write() as conn:
                client = conn.default_channel.client
                if not client.set(lock, "1", nx=True, ex=max(1, int(interval * 0.8))):
                    continue
                suspects = set(json.loads(client.get(suspected) or "[]"))
                _, suspects = requeue_lost(app, suspects, enqueue)
                client.set(suspected, json.dumps(sorted(suspects)), ex=max(3, int(interval * 3)))
        except unreachable as error:
            # The worker's own consumer says so too, and reconnects; this tries again next time.
            logger.warning("could not reach the broker to compare its jobs with the database: %s", error)
        except Exception:
            # Like the start-up sweep, this must never stop the worker; it tries again next time.
            logger.exception("could not compare the queued versions with the broker's jobs")
        finally:
            connection.close()


def start_reconciling(app: Any, enqueue: Enqueue) -> threading.Thread | None:
    """Run reconcile_forever in a thread of this worker, if its broker is Redis."""
    if not settings.RECONCILE_SECONDS or not app.conf.broker_url.startswith(("redis://", "rediss://")):
        return None
    thread = threading.Thread(
        target=reconcile_forever,
        args=(app, settings.RECONCILE_SECONDS, enqueue),
        name="reconcile",
        daemon=True,
    )
    thread.start()
    return thread

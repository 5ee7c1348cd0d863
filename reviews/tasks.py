"""Celery tasks: load by id, call the pipeline in ``reviews.media.pipeline``, retry or fail;
and the fan-out of each committed event to its consumers.

Every task is safe to run twice: each pipeline step is a conditional update on
the version's current run (see the pipeline), and event consumers must be too.
Settings make delivery at-least-once (acks late, requeue when a worker dies);
the attempt counter ends a clip that keeps killing workers. The tasks' names
are what queued messages carry, so they stay in this module.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from reviews import events, mail, webhooks
from reviews.media import pipeline, recovery, sweep

# Probing reads headers only; a minute is plenty even for a large file.
PROBE_SOFT_LIMIT = 90
PROBE_HARD_LIMIT = 150
# Errors of the machine, not the clip: worth another try after a pause.
TRANSIENT_ERRORS = (OSError, DatabaseError)
MAX_RETRIES = 3


@shared_task(soft_time_limit=PROBE_SOFT_LIMIT, time_limit=PROBE_HARD_LIMIT)
def process_version(version_id: int) -> None:
    """Claim a newly uploaded version, probe it, and queue its render with limits fit for its length."""
    run = pipeline.claim(version_id)
    if run is None:
        return
    facts = pipeline.probe(version_id, run)
    if facts is None:
        return
    limits = pipeline.time_limits(facts.duration)
    render_version.apply_async((version_id, run), soft_time_limit=limits.soft, time_limit=limits.hard)


@shared_task(bind=True, max_retries=MAX_RETRIES)
def render_version(self: Task, version_id: int, run: str) -> None:
    if not pipeline.start_render(version_id, run):
        return
    soft_limit = (self.request.timelimit or (None, None))[1] or pipeline.time_limits(0).soft
    try:
        # ffmpeg's own wall clock ends a bit before Celery's soft limit, so the
        # failure names the clip rather than the worker.
        pipeline.render(version_id, run, timeout=max(soft_limit - 15, 1))
    except SoftTimeLimitExceeded:
        pipeline.fail(
            version_id,
            run,
            f"Processing took longer than {soft_limit // 60} min and was stopped; "
            "try a shorter or lighter export.",
        )
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= MAX_RETRIES:
            pipeline.fail(
                version_id,
                run,
                f"Processing failed {MAX_RETRIES + 1} times on a server error ({error.__class__.__name__}); "
                "an admin can reprocess the version once the server is fixed.",
            )
            raise
        raise self.retry(exc=error, countdown=10 * 2**self.request.retries) from error


@shared_task
def fan_out_event(event_id: int) -> None:
    """Hand a committed event to its consumers (``reviews.events.CONSUMERS``)."""
    events.fan_out(event_id)


# An SMTP server down for maintenance gets about half an hour of retries before a mail is given up.
MAIL_MAX_RETRIES = 6


@shared_task(bind=True, max_retries=MAIL_MAX_RETRIES)
def deliver_mail(self: Task, mail_id: int) -> None:
    """Send one queued mail (``reviews.mail``), retrying with growing pauses while the server refuses."""
    try:
        mail.mail_deliver(mail_id)
    except mail.TRANSIENT_MAIL_ERRORS as error:
        if self.request.retries >= self.max_retries:
            mail.mail_give_up(mail_id, f"{type(error).__name__}: {error}")
            raise
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error


@shared_task
def deliver_webhook(delivery_id: int, attempt: int) -> None:
    """Make one try of a webhook delivery (``reviews.webhooks``) and schedule the next if it failed."""
    delay = webhooks.delivery_attempt(delivery_id, attempt)
    if delay is not None:
        deliver_webhook.apply_async((delivery_id, attempt + 1), countdown=delay)


@worker_ready.connect
def recover_orphaned_versions(sender: Any, **kwargs: Any) -> None:
    """A starting worker queues again what dead workers left in processing, and from then on
    what the broker loses (see reviews.media.recovery) and the files no row owns (reviews.media.sweep)."""
    if settings.RECOVER_ORPHANS_ON_WORKER_START:
        # In a thread: the worker must be consuming to answer its own part of the inspection.
        threading.Thread(
            target=recovery.requeue_orphans,
            args=(sender.app, process_version.delay),
            name="recover-orphans",
            daemon=True,
        ).start()
    recovery.start_reconciling(sender.app, process_version.delay)
    sweep.start_sweeping()

"""Live pages, the publishing side: tell the web processes that something happened in a project.

Two kinds of message travel on one Redis pub/sub channel per project (docs/live.md):

- ``{"type": "event", "id": <event id>}``, published once the event's transaction has
  committed (``event_record``'s ``transaction.on_commit`` callback), by whichever
  process committed it: a web process or the Celery worker. It only *wakes* the streams; they
  read the event itself from the record, which stays the one source of truth.
- ``{"type": "progress", "version": <id>, "state": "processing", "percent": <0..100>}``,
  published by the worker while it renders (at most every ``LIVE_PROGRESS_MS``), with no
  Event row per percent.

Both are best effort: a message lost (Redis down, no Redis at all in ``make run``) costs
latency, not events, since every stream also reads the record every ``LIVE_POLL_MS`` and
reads processing progress from the versions' rows when there is no Redis.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_local = threading.local()
# When each version last had a progress message, per process (monotonic seconds).
_last_progress: dict[int, float] = {}


def channel(project_id: int) -> str:
    """The pub/sub channel of one project's live messages."""
    return f"{settings.LIVE_CHANNEL_PREFIX}:live:project:{project_id}"


def channel_pattern() -> str:
    """The pattern every project's channel matches (one subscription per web process)."""
    return f"{settings.LIVE_CHANNEL_PREFIX}:live:project:*"


def project_of_channel(name: str) -> int | None:
    tail = name.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _client() -> redis.Redis | None:
    if not settings.LIVE_REDIS_URL:
        return None
    client = getattr(_local, "client", None)
    if client is None:
        # Short timeouts: a publish must never hold a request or a render up for long.
        client = redis.Redis.from_url(settings.LIVE_REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        _local.client = client
    return client


def live_publish(project_id: int, message: dict[str, Any]) -> None:
    """Publish one message to the project's channel; a failure is logged, never raised."""
    client = _client()
    if client is None:
        return
    try:
        client.publish(channel(project_id), json.dumps(message))
    except redis.RedisError as error:
        # Streams still read the record on their own every LIVE_POLL_MS.
        logger.warning("live message for project %s not published: %s", project_id, error)


def wake(project_id: int, event_id: int) -> None:
    """Wake the project's streams; ``event_record`` calls it once the event's transaction committed."""
    live_publish(project_id, {"type": "event", "id": event_id})


def progress_publish(
    *, project_id: int, version_id: int, state: str, percent: int, force: bool = False
) -> bool:
    """Publish a version's processing progress, at most every ``LIVE_PROGRESS_MS`` unless ``force``.

    ``percent`` is 0..100. Returns whether a message went out (False when throttled or
    there is no Redis).
    """
    if not settings.LIVE_REDIS_URL:
        return False
    now = time.monotonic()
    if not force and now - _last_progress.get(version_id, -1e9) < settings.LIVE_PROGRESS_MS / 1000:
        return False
    _last_progress[version_id] = now
    live_publish(project_id, {"type": "progress", "version": version_id, "state": state, "percent": percent})
    return True

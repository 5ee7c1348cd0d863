"""Live pages, the reading side: one tail of the event record per web process, shared by every open stream.

A web process (one event loop) keeps one :class:`Hub` while it has open streams. The hub
reads the record *in id order* past the point it has settled, and hands each event to the
streams of its project whose principal may receive it. Many streams on one project cost one
query per wake-up, not one per stream.

Ids are allocated before commit, so a transaction that took id 41 may commit after the one
that took 42. The hub never moves past a missing id at once: events after a gap wait until it
fills or is ``LIVE_GAP_MS`` old (a rolled-back transaction leaves a permanent one). The SSE
``id:`` of an event therefore means "everything up to here was delivered or given up on", and a
client resuming from ``Last-Event-ID`` misses nothing that committed within that window.

Wake-ups and progress arrive over Redis pub/sub (reviews/live.py); the hub also reads the
record every ``LIVE_POLL_MS`` on its own, which is all it does when there is no Redis (and then
it reads processing progress from the versions' rows too).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from reviews import live, permissions
from reviews.live_queries import (
    _close_connection,
    _events_after,
    _guarded,
    _processing_rows,
    _project_of_version,
    _settled_start,
    settle,
)
from reviews.models import Event, EventKind
from reviews.permissions import Principal

logger = logging.getLogger(__name__)

# How many events one read takes; a longer tail is read in several.
READ_BATCH = 500
# A stream whose reader falls this many messages behind is closed; its EventSource reconnects
# and catches up from the record.
QUEUE_LIMIT = 2000
# Events that change who may read: streams are re-checked as soon as one is seen (a review link
# revoked, or its scope or expiry changed, for its guests' streams).
_ACCESS_KINDS = {
    EventKind.MEMBER_REMOVED,
    EventKind.MEMBER_ROLE_CHANGED,
    EventKind.REVIEW_LINK_REVOKED,
    EventKind.REVIEW_LINK_UPDATED,
}


@dataclass(frozen=True)
class LiveEvent:
    """One committed event as streams send it: ``frame`` is the complete SSE message."""

    id: int
    project_id: int
    kind: str
    version_id: int | None
    shot_id: int | None
    frame: bytes


# Why a stream was closed, as its ``stream.closed`` frame says (``reason``): the first two are
# final (the page stops and polls), ``behind`` asks the page to reconnect with Last-Event-ID.
REMOVED = "removed"
SIGNED_OUT = "signed_out"
BEHIND = "behind"
# A guest's review link was revoked or expired (final, like ``removed``).
REVOKED = "revoked"


@dataclass(frozen=True)
class Closed:
    """Put on a stream's queue to end it, with the reason the client is told."""

    detail: str
    reason: str = REMOVED


# An event as the activity feed shows it (id, kind, created_at, actor, subject, payload). The
# web layer, which owns the serializers, sets it (reviews/views/live.py): the feed shape stays one.
def event_data(event: Event) -> Any:
    return {"id": event.pk, "kind": event.kind}


def sse_frame(*, data: Any, kind: str, event_id: int | None = None) -> bytes:
    """One server-sent event; without ``event_id`` it does not move the client's Last-Event-ID."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return f"{head}event: {kind}\ndata: {body}\n\n".encode()


def live_event(event: Event) -> LiveEvent:
    payload = event.payload if isinstance(event.payload, dict) else {}
    version = payload.get("version") if isinstance(payload.get("version"), dict) else {}
    shot = payload.get("shot") if isinstance(payload.get("shot"), dict) else {}
    return LiveEvent(
        id=event.pk,
        project_id=event.project_id,
        kind=event.kind,
        version_id=version.get("id"),
        shot_id=shot.get("id"),
        frame=sse_frame(data=event_data(event), kind=event.kind, event_id=event.pk),
    )


@dataclass(eq=False)
class Listener:
    """One open stream: whose it is, what it wants, and the queue of frames waiting for it."""

    project_id: int
    principal: Principal
    # Re-reads the principal (None once it may no longer read the project, or a Closed saying why);
    # runs in the hub's thread.
    reauthorise: Callable[[], Principal | Closed | None]
    wants: Callable[[LiveEvent], bool] = lambda event: True
    # For progress messages: None for every version of the project.
    version_id: int | None = None
    # Whether the credential the stream was opened with still holds (token not deleted, session
    # not flushed, account active); runs in the hub's thread. ``credential_key`` names that
    # credential, so tabs sharing one are checked once.
    credential: Callable[[], bool] = lambda: True
    credential_key: Any = None
    # Turns the events due to this stream into the frames it sends, on the hub's thread, just
    # before sending (a guest's stream: what the guest API shows of each, read then). None: each
    # event's own frame, the activity feed's item.
    render: Callable[[list[LiveEvent]], list[bytes]] | None = None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    # Which project each version a progress message named belongs to (None: no such version).
    version_projects: dict[int, int | None] = field(default_factory=dict)

    def offer(self, item: LiveEvent | bytes | Closed) -> None:
        if isinstance(item, LiveEvent) and not (
            self.wants(item) and permissions.can_receive_event(self.principal, version_id=item.version_id)
        ):
            return
        if self.queue.qsize() >= QUEUE_LIMIT and not isinstance(item, Closed):
            item = Closed("The stream fell too far behind; reconnect to catch up.", BEHIND)
        self.queue.put_nowait(item)


class Hub:
    """This process's tail of the event record, and its open streams by project."""

    def __init__(self) -> None:
        self.settled = 0
        self.started = False
        self.listeners: dict[int, set[Listener]] = {}
        # Missing ids past ``settled``: when the hub first saw each.
        self.gaps: dict[int, float] = {}
        # Last progress sent per version, when polling rows for it (no Redis).
        self.progress: dict[int, tuple[str, int]] = {}
        self.wake = asyncio.Event()
        self.recheck_now = False
        # Streams being opened (authorised, not yet added): the hub must not stop under them.
        self.opening = 0
        # Every query of the hub and its streams runs on this one thread, with its own connection.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live")
        self.tasks: list[asyncio.Task] = []
        self._start_lock = asyncio.Lock()

    async def db(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a query function on the hub's thread; a broken connection is dropped for the next call."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, _guarded, function, *args)

    async def ensure_started(self) -> None:
        async with self._start_lock:
            if self.started:
                return
            self.settled = await self.db(_settled_start)
            self.started = True
            self.tasks = [asyncio.create_task(self._run())]
            if settings.LIVE_REDIS_URL:
                self.tasks.append(asyncio.create_task(self._subscribe()))

    def add(self, listener: Listener) -> int:
        """Register a stream; the id up to which the record is settled at this instant."""
        self.listeners.setdefault(listener.project_id, set()).add(listener)
        return self.settled

    def remove(self, listener: Listener) -> None:
        streams = self.listeners.get(listener.project_id)
        if streams is not None:
            streams.discard(listener)
            if not streams:
                del self.listeners[listener.project_id]

    # --- the tail --------------------------------------------------------------

    async def _run(self) -> None:
        next_recheck = time.monotonic() + settings.LIVE_RECHECK_SECONDS
        idle_since: float | None = None
        while True:
            timeout = 0.1 if self.gaps else settings.LIVE_POLL_MS / 1000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)
            self.wake.clear()
            if not self.listeners and not self.opening:
                # Kept a moment for a reconnecting page, then let go with its connection.
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 5:
                    await self.stop()
                    return
                continue
            idle_since = None
            try:
                await self.read()
                if not settings.LIVE_REDIS_URL:
                    await self.read_progress()
                if self.recheck_now or time.monotonic() >= next_recheck:
                    self.recheck_now = False
                    next_recheck = time.monotonic() + settings.LIVE_RECHECK_SECONDS
                    await self.recheck()
            except Exception:
                # A stream must outlive a database hiccup: log, and try again on the next tick.
                logger.exception("the live tail failed to read; retrying")

    async def read(self) -> None:
        while True:
            rows = await self.db(_events_after, self.settled, READ_BATCH)
            settled, settled_rows = settle(
                self.settled, rows, self.gaps, now=time.monotonic(), wall=time.time()
            )
            self.settled = settled
            ready = [live_event(row) for row in settled_rows]
            for event in ready:
                if event.kind in _ACCESS_KINDS:
                    self.recheck_now = True
                for listener in list(self.listeners.get(event.project_id, ())):
                    listener.offer(event)
            if len(rows) < READ_BATCH or not ready:
                return

    async def read_progress(self) -> None:
        projects = list(self.listeners)
        rows = await self.db(_processing_rows, projects)
        for version_id, project_id, state, percent in rows:
            if self.progress.get(version_id) != (state, percent):
                self.progress[version_id] = (state, percent)
                self.deliver_progress(project_id, version_id, state, percent)
        live_ids = {row[0] for row in rows}
        for version_id in [v for v in self.progress if v not in live_ids]:
            del self.progress[version_id]

    def deliver_progress(self, project_id: int, version_id: int, state: str, percent: int) -> None:
        frame = sse_frame(
            data={"version": {"id": version_id}, "state": state, "percent": percent}, kind="version.progress"
        )
        for listener in list(self.listeners.get(project_id, ())):
            if listener.version_id in (None, version_id) and permissions.can_receive_event(
                listener.principal, version_id=version_id
            ):
                listener.offer(frame)

    async def recheck(self) -> None:
        streams = [listener for group in self.listeners.values() for listener in group]

        def reread() -> list[Principal | Closed | str | None]:
            # One query per credential, and per person and project, however many tabs are open.
            credentials: dict[Any, bool] = {}
            seen: dict[tuple[Any, int], Principal | Closed | None] = {}
            verdicts: list[Principal | Closed | str | None] = []
            for listener in streams:
                held = listener.credential_key if listener.credential_key is not None else id(listener)
                if held not in credentials:
                    credentials[held] = listener.credential()
                if not credentials[held]:
                    verdicts.append(SIGNED_OUT)
                    continue
                user_id = listener.principal.user_id
                key = (user_id if user_id is not None else id(listener), listener.project_id)
                if key not in seen:
                    seen[key] = listener.reauthorise()
                verdicts.append(seen[key])
            return verdicts

        verdicts = await self.db(reread)
        for listener, principal in zip(streams, verdicts, strict=True):
            if principal == SIGNED_OUT:
                listener.offer(Closed("You were signed out.", SIGNED_OUT))
            elif isinstance(principal, Closed):
                listener.offer(principal)
            elif principal is None:
                listener.offer(Closed("You can no longer see this project.", REMOVED))
            else:
                listener.principal = principal

    async def _subscribe(self) -> None:
        """Wake on every committed event, and pass progress on, from Redis pub/sub; reconnect when it drops."""
        while True:
            client = aioredis.Redis.from_url(settings.LIVE_REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(live.channel_pattern())
                    # Whatever committed while we were not listening.
                    self.wake.set()
                    while True:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                        if message is not None:
                            self.on_message(message)
            except aioredis.RedisError as error:
                logger.warning(
                    "live wake-ups lost (%s); reading the record every %s ms", error, settings.LIVE_POLL_MS
                )
                await asyncio.sleep(2)
            finally:
                await client.aclose()

    def on_message(self, message: dict[str, Any]) -> None:
        channel = message.get("channel", b"")
        project_id = live.project_of_channel(channel.decode() if isinstance(channel, bytes) else str(channel))
        try:
            body = json.loads(message.get("data") or b"{}")
        except (TypeError, ValueError):
            return
        if body.get("type") == "event":
            self.wake.set()
        elif body.get("type") == "progress" and project_id is not None:
            try:
                version_id, state, percent = int(body["version"]), str(body["state"]), int(body["percent"])
            except (KeyError, TypeError, ValueError):
                logger.warning("a malformed progress message on %s", channel)
                return
            task = asyncio.create_task(self.deliver_checked_progress(project_id, version_id, state, percent))
            self.tasks.append(task)
            task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task) -> None:
        with contextlib.suppress(ValueError):
            self.tasks.remove(task)

    async def deliver_checked_progress(
        self, project_id: int, version_id: int, state: str, percent: int
    ) -> None:
        """Pass a progress message from pub/sub on only if its version belongs to the channel's project.

        Anyone who can publish to the Redis server can name any version on any channel: a
        message for a version of another project, or of none, is dropped. Each stream caches
        what it learnt, so a render's stream of messages costs one query per stream at most.
        """
        streams = [s for s in self.listeners.get(project_id, ()) if s.version_id in (None, version_id)]
        unknown = [s for s in streams if version_id not in s.version_projects]
        if unknown:
            try:
                found = await self.db(_project_of_version, version_id)
            except Exception:
                logger.exception("the project of version %s could not be read", version_id)
                return
            for listener in unknown:
                listener.version_projects[version_id] = found
        if any(s.version_projects.get(version_id) == project_id for s in streams):
            self.deliver_progress(project_id, version_id, state, percent)
        else:
            logger.warning("dropped a progress message for version %s on project %s", version_id, project_id)

    async def stop(self) -> None:
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        self.started = False
        # Give the thread's database connection back before the thread goes.
        await asyncio.get_running_loop().run_in_executor(self.executor, _close_connection)
        self.executor.shutdown(wait=False)
        _hubs.pop(asyncio.get_running_loop(), None)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (one per web process under the ASGI server)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(loop)
    if current is None:
        current = _hubs[loop] = Hub()
    return current

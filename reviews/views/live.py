"""Server-sent event streams of a project's (or one version's) events, for live pages (docs/live.md).

Asynchronous Django views, served by the ASGI server's event loop (reviewsvc/asgi.py): an open
stream holds no thread. Authorised on connect (non-members get 404, like every read) and
re-checked by the process's hub while open (reviews/live_feed.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from reviews import live_feed, selectors
from reviews.authentication import SessionAuthentication
from reviews.live_feed import Closed, Hub, Listener, LiveEvent, hub, live_event, sse_frame
from reviews.models import Event, EventKind, Version
from reviews.permissions import Principal, can_receive_event
from reviews.serializers import EventSerializer

# Streams send each event exactly as the activity feed shows it.
live_feed.event_data = lambda event: EventSerializer(event).data

MAX_EVENT_ID = 2**63 - 1
# What a version's stream also carries of the other takes of its shot.
SHOT_KINDS = frozenset(
    {
        EventKind.VERSION_CREATED,
        EventKind.VERSION_DECISION_CHANGED,
        EventKind.VERSION_RECOMMENDED,
        EventKind.VERSION_RECOMMENDATION_WITHDRAWN,
    }
)
# How long a browser waits before reconnecting after the stream drops, in milliseconds.
RETRY_MS = 2000
NOT_FOUND = "Not found."
UNDER_WSGI = (
    "Live event streams need the ASGI server (gunicorn with reviewsvc.asgi, as make run starts it);"
    " this server is WSGI, so pages fall back to polling."
)


def _refusal(request: HttpRequest) -> JsonResponse | None:
    """Why this request cannot become a stream, or None."""
    if request.method != "GET":
        return JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
    if not isinstance(request, ASGIRequest):
        # A WSGI server would try to buffer an endless stream, holding a thread for ever.
        return JsonResponse({"detail": UNDER_WSGI}, status=503)
    return None


def _user(request: HttpRequest) -> tuple[Any, Callable[[], bool], Any] | JsonResponse:
    """The signed-in user by token or session, as every API view reads it, with a check that the
    credential still holds (for the re-check while open) and its key; or a 401 response."""
    drf_request = Request(request, authenticators=[TokenAuthentication(), SessionAuthentication()])
    try:
        user = drf_request.user
    except APIException as error:
        # A bad or revoked token: the same answer as the rest of the API ("Invalid token.").
        return JsonResponse({"detail": str(error.detail)}, status=401)
    if not user.is_authenticated:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    if isinstance(drf_request.auth, Token):
        key = drf_request.auth.key
        return user, lambda: _token_holds(key, user.pk), ("token", key)
    session_key = request.session.session_key
    return user, lambda: _session_holds(session_key, user.pk), ("session", session_key)


def _token_holds(key: str, user_id: int) -> bool:
    """The token still exists (not signed out, nor revoked by a password change) and its account is active."""
    return Token.objects.filter(key=key, user_id=user_id, user__is_active=True).exists()


def _session_holds(session_key: str | None, user_id: int) -> bool:
    """The session still exists and signs in this user, active, with the password it was made with.

    Read as Django reads it on each request (``auth.get_user``): a flushed or deleted session, a
    changed password (the session's hash no longer matches) or an inactive account fail.
    """
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    user = auth.get_user(SimpleNamespace(session=store))
    return bool(user.is_authenticated and user.pk == user_id and user.is_active)


def _principal(user: Any, project_id: int) -> Principal | None:
    """The user's principal in a project they can see, or None (a non-member, or no such project)."""
    role = selectors.projects_for(user).filter(pk=project_id).values_list("my_role", flat=True)
    found = list(role)
    return Principal.of(user, found[0]) if found else None


def _open(request: HttpRequest, *, project_id: int | None = None, version_id: int | None = None) -> Any:
    """Authenticate and authorise on the hub's thread: (user, project_id, shot_id, principal, credential
    check, credential key) or a response."""
    signed_in = _user(request)
    if isinstance(signed_in, JsonResponse):
        return signed_in
    user, credential, credential_key = signed_in
    shot_id = None
    if version_id is not None:
        found = Version.objects.filter(pk=version_id).values_list("shot__project_id", "shot_id").first()
        if found is None:
            return JsonResponse({"detail": NOT_FOUND}, status=404)
        project_id, shot_id = found
    principal = _principal(user, project_id)
    if principal is None or not can_receive_event(principal, version_id=version_id):
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    return user, project_id, shot_id, principal, credential, credential_key


def _last_event_id(request: HttpRequest) -> int | JsonResponse | None:
    """The client's Last-Event-ID (header, or ``last_event_id`` in the query for a first connect)."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    if raw in (None, ""):
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_EVENT_ID:
        return JsonResponse(
            {"detail": "Last-Event-ID must be the id of an event this stream sent (a whole number)."},
            status=400,
        )
    return int(raw)


def _events_between(project_id: int, after: int, upto: int, limit: int) -> list[Event]:
    return list(
        Event.objects.filter(project_id=project_id, id__gt=after, id__lte=upto)
        .select_related("actor")
        .order_by("id")[:limit]
    )


async def _frames(feed: Hub, listener: Listener, events: list[LiveEvent]) -> list[bytes]:
    """The frames the stream sends for these events: their own, or the listener's rendering of them."""
    if not events:
        return []
    if listener.render is None:
        return [event.frame for event in events]
    return await feed.db(listener.render, events)


async def _stream(feed: Hub, listener: Listener, cursor: int, upto: int) -> AsyncIterator[bytes]:
    try:
        yield f"retry: {RETRY_MS}\n: connected\n\n".encode()
        # Catch up from the record to where the hub stood when this stream joined it.
        while cursor < upto:
            rows = await feed.db(_events_between, listener.project_id, cursor, upto, 500)
            if not rows:
                break
            due: list[LiveEvent] = []
            for row in rows:
                event = live_event(row)
                cursor = event.id
                if listener.wants(event) and can_receive_event(
                    listener.principal, version_id=event.version_id
                ):
                    due.append(event)
            frames = await _frames(feed, listener, due)
            if frames:
                yield b"".join(frames)
        while True:
            try:
                item = await asyncio.wait_for(listener.queue.get(), settings.LIVE_HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            # Whatever else is already waiting goes in the same write: under load, one send per
            # burst rather than per event (bench/README.md, "Live pages").
            items = [item]
            while not listener.queue.empty() and len(items) < 100:
                items.append(listener.queue.get_nowait())
            frames: list[bytes] = []
            due = []
            for item in items:
                if isinstance(item, LiveEvent):
                    if item.id > cursor:
                        cursor = item.id
                        due.append(item)
                    continue
                # Progress and closing frames keep their place after the events before them.
                frames += await _frames(feed, listener, due)
                due = []
                if isinstance(item, Closed):
                    frames.append(
                        sse_frame(data={"detail": item.detail, "reason": item.reason}, kind="stream.closed")
                    )
                    yield b"".join(frames)
                    return
                frames.append(item)
            frames += await _frames(feed, listener, due)
            if frames:
                yield b"".join(frames)
    finally:
        feed.remove(listener)


async def respond(request: HttpRequest, feed: Hub, listener: Listener) -> HttpResponse:
    """The stream of an authorised listener, from the client's Last-Event-ID (or now); a 400 for a
    bad Last-Event-ID. Shared by the members' and the guests' streams (reviews/views/guest_live.py)."""
    last_event_id = _last_event_id(request)
    if isinstance(last_event_id, JsonResponse):
        return last_event_id
    # No await between joining and reading the settled point: nothing falls between the two.
    upto = feed.add(listener)
    cursor = upto if last_event_id is None else min(last_event_id, upto)
    response = StreamingHttpResponse(_stream(feed, listener, cursor, upto), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # nginx would otherwise buffer the stream (README, "Serving media").
    response["X-Accel-Buffering"] = "no"
    return response


def _member_listener(
    opened: tuple, *, wants: Callable[[LiveEvent], bool], version_id: int | None
) -> Listener:
    user, project_id, _shot_id, principal, credential, credential_key = opened
    return Listener(
        project_id=project_id,
        principal=principal,
        reauthorise=lambda: _principal(user, project_id),
        wants=wants,
        version_id=version_id,
        credential=credential,
        credential_key=credential_key,
    )


# Token and session both: a write method must get the documented JSON 405, not a CSRF 403
# (a stream writes nothing, so there is nothing for CSRF to protect).
@csrf_exempt
async def project_events(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET /api/v1/projects/{id}/events/: every event of the project, and processing progress, as they happen."""
    if (refusal := _refusal(request)) is not None:
        return refusal
    async with joining() as feed:
        opened = await feed.db(lambda: _open(request, project_id=project_id))
        if isinstance(opened, HttpResponse):
            return opened
        return await respond(
            request, feed, _member_listener(opened, wants=lambda event: True, version_id=None)
        )


@csrf_exempt
async def version_events(request: HttpRequest, version_id: int) -> HttpResponse:
    """GET /api/v1/versions/{id}/events/: events about one version, and new takes and decisions of its shot."""
    if (refusal := _refusal(request)) is not None:
        return refusal
    async with joining() as feed:
        opened = await feed.db(lambda: _open(request, version_id=version_id))
        if isinstance(opened, HttpResponse):
            return opened
        shot_id = opened[2]

        def wants(event: LiveEvent) -> bool:
            # A new take, or another take's decision (selecting one unselects the selected one)
            # or recommendations: the page's takes menu shows them all.
            return event.version_id == version_id or (event.kind in SHOT_KINDS and event.shot_id == shot_id)

        return await respond(request, feed, _member_listener(opened, wants=wants, version_id=version_id))


@contextlib.asynccontextmanager
async def joining() -> AsyncIterator[Hub]:
    """The started hub, kept from stopping (it stops when idle) while a stream is being opened."""
    feed = hub()
    feed.opening += 1
    try:
        await feed.ensure_started()
        yield feed
    finally:
        feed.opening -= 1

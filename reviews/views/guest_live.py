"""A review link guest's event stream: ``GET /api/v1/guest/versions/{id}/events/`` (docs/live.md).

The members' machinery, not a second one: the process's hub (reviews/live_feed.py) tails the
record and wakes the stream, ``respond`` (reviews/views/live.py) catches up from Last-Event-ID and
sends, and the hub's re-check closes the stream once the link is revoked or expires, the version
leaves the link, or the guest session ends. What is guest-specific is here:

- who: the guest of the session, as the guest API reads it (``guest_session.guest_of``); the
  members' tokens and sessions are not read;
- which events: those about this version only, of the kinds a review page follows
  (``GUEST_KINDS``), while the link shows it (``permissions.can_receive_event``);
- what is sent of each: decided again when it is sent, on the hub's thread, through the guest
  selectors and serializers (``guest_frames``): a note only if ``review_links.guest_comments``
  still holds it (so one made internal meanwhile is not sent), shown as the guest API shows it;
  a version as its id, number and shot; never the member's feed item (actors, excerpts of
  other notes, the takes a decision unselected).
"""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from reviews import review_links, selectors
from reviews.guest_session import NO_GUEST, REVOKED, guest_of, touch
from reviews.live_feed import REMOVED, Closed, Listener, LiveEvent, sse_frame
from reviews.live_feed import REVOKED as REVOKED_REASON
from reviews.models import Comment, Event, EventKind, ReviewLinkGuest, Version
from reviews.permissions import Principal
from reviews.views.guests import guest_comments_data
from reviews.views.live import NOT_FOUND, UNDER_WSGI, joining, respond

COMMENT_KINDS = frozenset(
    {
        EventKind.COMMENT_CREATED,
        EventKind.COMMENT_UPDATED,
        EventKind.COMMENT_RESOLVED,
        EventKind.COMMENT_REOPENED,
        EventKind.COMMENT_DELETED,
    }
)
# What a guest's review page follows: the version's notes, its status and decision, its proxy.
GUEST_KINDS = COMMENT_KINDS | {
    EventKind.VERSION_READY,
    EventKind.VERSION_FAILED,
    EventKind.VERSION_REVIEW_STATUS_CHANGED,
    EventKind.VERSION_DECISION_CHANGED,
}
# Changes a guest may read of (the guest API shows a version's status and decision).
_CHANGES = {EventKind.VERSION_REVIEW_STATUS_CHANGED, EventKind.VERSION_DECISION_CHANGED}
NOT_SHARED = "This version is no longer shared through your review link."


def _link_versions(guest: ReviewLinkGuest) -> frozenset[int]:
    return frozenset(review_links.guest_versions(guest.link).values_list("pk", flat=True))


def _open(request: HttpRequest, version_id: int) -> dict[str, Any] | JsonResponse:
    """Authorise on the hub's thread, answering as the guest API would (403 without a live guest
    session, 404 for a version the link does not show); the stream's Listener fields otherwise."""
    guest = guest_of(request)
    if guest is None:
        return JsonResponse({"detail": NO_GUEST}, status=403)
    if not guest.link.is_live():
        return JsonResponse({"detail": REVOKED}, status=403)
    versions = _link_versions(guest)
    if version_id not in versions:
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    touch(guest)
    session_key = request.session.session_key
    guest_id = guest.pk

    def wants(event: LiveEvent) -> bool:
        return event.version_id == version_id and event.kind in GUEST_KINDS

    return {
        "project_id": guest.link.project_id,
        "principal": Principal.for_guest(guest, versions=versions),
        "reauthorise": lambda: _reauthorise(guest_id, version_id),
        "wants": wants,
        "version_id": version_id,
        "credential": lambda: _session_holds(session_key, guest_id),
        "credential_key": ("guest-session", session_key),
        # Read at sending: nothing goes out once the session no longer holds the guest, even
        # before the hub's next credential check closes the stream.
        "render": lambda events: (
            guest_frames(guest_id, version_id, events) if _session_holds(session_key, guest_id) else []
        ),
    }


def _reauthorise(guest_id: int, version_id: int) -> Principal | Closed:
    """The guest's principal read again (the hub's re-check), or why the stream ends."""
    guest = ReviewLinkGuest.objects.select_related("link__project").filter(pk=guest_id).first()
    if guest is None or not guest.link.is_live():
        return Closed(REVOKED, REVOKED_REASON)
    versions = _link_versions(guest)
    if version_id not in versions:
        return Closed(NOT_SHARED, REMOVED)
    return Principal.for_guest(guest, versions=versions)


def _session_holds(session_key: str | None, guest_id: int) -> bool:
    """The session the stream was opened with still holds this guest (not expired, flushed, or
    replaced by opening another link), read as the guest API reads it."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    held = guest_of(SimpleNamespace(session=store))
    return held is not None and held.pk == guest_id


def guest_frames(guest_id: int, version_id: int, events: list[LiveEvent]) -> list[bytes]:
    """The frames a guest's stream sends for these events (of ``version_id``), read now.

    Nothing once the link is no longer live or no longer shows the version. A note's event
    carries the note as the guest API shows it (``guest_comments_data``), and only if
    ``review_links.guest_comments`` holds it now: never an internal note or a reply of an internal
    thread, whatever it was when the event was recorded. A note made internal is announced as
    withdrawn, by id only (it was public until then); a note deleted since (its row gone) by id
    only, unless the record says it was internal. A fixed number of queries per call, however
    many events. Runs on the hub's thread.
    """
    guest = ReviewLinkGuest.objects.select_related("link__project").filter(pk=guest_id).first()
    if guest is None or not guest.link.is_live():
        return []
    version = review_links.guest_versions(guest.link).filter(pk=version_id).first()
    if version is None:
        return []
    rows = list(
        Event.objects.filter(
            pk__in=[event.id for event in events], project_id=guest.link.project_id
        ).order_by("id")
    )
    comment_ids = {row.subject_id for row in rows if row.kind in COMMENT_KINDS}
    shown = (
        review_links.guest_comments(guest.link)
        .filter(pk__in=comment_ids, version=version)
        # A reply is shown internal while its thread is (CommentSerializer.internal): read with it.
        .select_related("thread")
        .prefetch_related(selectors.mentioned_users())
        .order_by("id")
    )
    comments = {data["id"]: data for data in guest_comments_data(guest, shown)}
    unseen = comment_ids - set(comments)
    hidden = set(Comment.objects.filter(pk__in=unseen).values_list("pk", flat=True)) if unseen else set()
    frames = []
    for row in rows:
        payload = _payload(row, version, comments, hidden=hidden, gone=unseen - hidden)
        if payload is not None:
            data = {
                "id": row.pk,
                "kind": row.kind,
                "created_at": row.created_at,
                "subject": {"type": row.subject_type, "id": row.subject_id},
                "payload": payload,
            }
            frames.append(sse_frame(data=data, kind=row.kind, event_id=row.pk))
    return frames


def _payload(
    row: Event, version: Version, comments: dict[int, dict[str, Any]], *, hidden: set[int], gone: set[int]
) -> dict[str, Any] | None:
    """What a guest is sent of one event, or None for nothing. ``comments``: the notes the guest
    may read now, as the guest API shows them; ``hidden``: notes that exist but are not among
    them; ``gone``: notes whose row is deleted."""
    if row.kind not in GUEST_KINDS:
        return None
    about = {
        "version": {"id": version.pk, "number": version.number},
        "shot": {"id": version.shot_id, "code": version.shot.code},
    }
    if row.kind in COMMENT_KINDS:
        if row.subject_id in comments:
            return {**about, "comment": comments[row.subject_id]}
        recorded = row.payload if isinstance(row.payload, dict) else {}
        quoted = recorded.get("comment") if isinstance(recorded.get("comment"), dict) else {}
        if (
            row.subject_id in hidden
            and row.kind == EventKind.COMMENT_UPDATED
            and "internal" in (recorded.get("changed") or ())
        ):
            # A note made internal: only a thread's first note takes the flag (docs/review-links.md),
            # so it was public just before and its page may show it; by id only, so the page drops it.
            return {**about, "comment": {"id": row.subject_id, "withdrawn": True}}
        # Deleted with its row: the record, written with the note's flags then, is all there is.
        if (
            row.kind == EventKind.COMMENT_DELETED
            and row.subject_id in gone
            and quoted.get("internal") is False
        ):
            return {**about, "comment": {"id": row.subject_id, "deleted": True}}
        return None
    if row.subject_type != "version" or row.subject_id != version.pk:
        return None
    if row.kind in _CHANGES and isinstance(row.payload, dict):
        return {**about, "from": row.payload.get("from"), "to": row.payload.get("to")}
    return about


@csrf_exempt
async def guest_version_events(request: HttpRequest, version_id: int) -> HttpResponse:
    """GET /api/v1/guest/versions/{id}/events/: a review link guest's live events of one version."""
    if request.method != "GET":
        return JsonResponse({"detail": f'Method "{request.method}" not allowed.'}, status=405)
    if not isinstance(request, ASGIRequest):
        # Authorised first, so a version the guest may not see answers as in the guest API.
        opened = await sync_to_async(_open)(request, version_id)
        if isinstance(opened, HttpResponse):
            return opened
        return JsonResponse({"detail": UNDER_WSGI}, status=503)
    async with joining() as feed:
        opened = await feed.db(lambda: _open(request, version_id))
        if isinstance(opened, HttpResponse):
            return opened
        return await respond(request, feed, Listener(**opened))


__all__ = ["GUEST_KINDS", "guest_frames", "guest_version_events"]

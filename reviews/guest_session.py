"""A guest's session: who holds a review link in this browser, checked on every request.

Opening a link and giving a name stores the guest's id in the Django session
(after a new session key, so a session id planted before cannot ride along).
Every guest request then reloads the guest and its link: revoking the link or
its expiry ends the guest's access at the next request. One browser holds one
guest at a time; opening another link replaces it.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from reviews.models import ReviewLinkGuest

SESSION_KEY = "reviewsvc_guest"
# How often a guest's last_seen_at is written: often enough for "seen 5 minutes ago".
_SEEN_EVERY = timedelta(minutes=1)
REVOKED = "This review link has expired or was revoked; ask whoever shared it for a new one."
NO_GUEST = "Open your review link again to continue: this browser holds no guest session."


def guest_login(request: HttpRequest, guest: ReviewLinkGuest) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"guest": guest.pk, "link": guest.link_id}


def guest_of(request: HttpRequest) -> ReviewLinkGuest | None:
    """The guest this browser holds (link and project loaded), live or not, or None."""
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("guest"), int):
        return None
    return (
        ReviewLinkGuest.objects.select_related("link__project")
        .filter(pk=held["guest"], link_id=held.get("link"))
        .first()
    )


def touch(guest: ReviewLinkGuest) -> None:
    now = timezone.now()
    if guest.last_seen_at is None or now - guest.last_seen_at > _SEEN_EVERY:
        ReviewLinkGuest.objects.filter(pk=guest.pk).update(last_seen_at=now)
        guest.last_seen_at = now

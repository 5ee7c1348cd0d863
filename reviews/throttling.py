"""Who is asking, and how often they may guess a secret.

Every check of a password goes through ``django.contrib.auth.authenticate``,
where django-axes counts failures per account and per client address (settings:
``AXES_*``). Secrets that are not passwords (a review link's passphrase, an
invitation token) use ``guard_secret`` here, with the same two counts.

The client address is the socket's: a header is only believed when
``REVIEWSVC_TRUSTED_PROXY_COUNT`` says that many proxies of ours append to
X-Forwarded-For, and then only the entry the outermost of them wrote. Anything
to the left of it was sent by the client and is whatever an attacker wants.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from reviews.accounts import normalize_username


class TooManyTries(Exception):
    """Too many wrong tries at a secret; ``wait`` seconds until the next is heard (errors.py: a 429)."""

    def __init__(self, message: str, *, wait: int) -> None:
        super().__init__(message)
        self.wait = wait


def client_address(request: HttpRequest) -> str:
    """The address of the client, as far as our own proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies == 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Our proxy writes addresses; anything else means it is not in front of us as configured.
        return remote


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account axes counts a failure against: the name as sign-in looks it up.

    Sign-in matches names case-insensitively after NFKC, so "ALICE" and a fullwidth
    "alice" are guesses at alice's password and must count against her.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials is not None:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return None
    # Kept to what axes's column holds (a name no account has still counts against the address).
    return normalize_username(username).lower()[:255]


def lockout_seconds() -> int:
    cool_off = get_cool_off() or timedelta(0)
    return max(1, int(cool_off.total_seconds()))


def lockout_message(seconds: int) -> str:
    return f"Too many wrong passwords for this account or from this address; try again in {seconds} seconds."


def raise_if_locked_out(request: Any) -> None:
    """After a failed ``authenticate``, answer 429 if axes locked the account or address."""
    if getattr(request, "axes_locked_out", False):
        seconds = lockout_seconds()
        raise TooManyTries(lockout_message(seconds), wait=seconds)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """What axes answers a locked-out sign-in on a page (the login page, the admin)."""
    seconds = lockout_seconds()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": lockout_message(seconds)}, status=429)
    else:
        response = render(
            request, "reviews/locked_out.html", {"minutes": max(1, round(seconds / 60))}, status=429
        )
    response["Retry-After"] = str(seconds)
    return response


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _client_counter(request: HttpRequest) -> str:
    """Who is trying: the signed-in account, else the client address.

    Counting signed-in people per account means one person's misses never lock
    out everyone else behind the same address (an office, a mobile carrier's NAT).
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_address(request)}"


def _count(counter: str, window: int, now: float) -> None:
    """One more in ``counter``'s fixed window, opened (with its start time) by the first."""
    if cache.add(counter, 1, timeout=window):
        cache.set(f"{counter}:since", now, timeout=window)
        return
    try:
        cache.incr(counter)
    except ValueError:
        # The window ended between add and incr: this one opens a new one.
        cache.set(counter, 1, timeout=window)
        cache.set(f"{counter}:since", now, timeout=window)


def _refuse_if_spent(counters: dict[str, int], window: int, now: float, message: str) -> None:
    for counter, limit in counters.items():
        if (cache.get(counter) or 0) >= limit:
            started = cache.get(f"{counter}:since") or now
            seconds = max(1, int(started + window - now))
            raise TooManyTries(f"{message}; try again in {seconds} seconds.", wait=seconds)


def guard_secret(
    request: HttpRequest,
    *,
    scope: str,
    key: str,
    check: Callable[[], bool],
    limit: int | None = None,
    window: int | None = None,
) -> bool:
    """Run ``check`` (does the secret match?) unless ``key`` or the client failed too often.

    ``key`` names what is being guessed at (a review link, an invitation). After
    ``limit`` failures within ``window`` seconds (a fixed window opened by the
    first failure), for that key from anyone or from the client for any key, every
    further try is answered 429 (``TooManyTries``), right or wrong, until that
    window ends: once locked, always locked until then. The client is the
    signed-in account, else the address (``_client_counter``). Counts live in the
    cache: Redis when ``REDIS_URL`` is set, files under ``var/cache`` in
    ``make run``, so every web process sees the same counts.
    """
    limit = limit or settings.AXES_FAILURE_LIMIT
    window = window or lockout_seconds()
    counters = {
        f"reviewsvc:secret:{scope}:key:{_digest(key)}": limit,
        f"reviewsvc:secret:{scope}:client:{_digest(_client_counter(request))}": limit,
    }
    now = time.time()
    _refuse_if_spent(counters, window, now, "Too many wrong tries")
    if check():
        return True
    for counter in counters:
        _count(counter, window, now)
    return False


def hourly_budget(counters: dict[str, int], *, message: str, window: int = 3600) -> None:
    """Spend one from each of ``counters`` ({name: how many per window}), or raise TooManyTries.

    Nothing is spent when any is exhausted. Used for mail a person can make the
    service send to someone else (invitations). Counts live in the cache, as above.
    """
    names = {f"reviewsvc:budget:{_digest(name)}": limit for name, limit in counters.items()}
    now = time.time()
    _refuse_if_spent(names, window, now, message)
    for counter in names:
        _count(counter, window, now)

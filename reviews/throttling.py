"""Who is asking, and how often they may guess a secret.

Every check of a password goes through ``django.contrib.auth.authenticate``,
where django-axes counts failures per account and per client address (settings:
``AXES_*``). Secrets that are not passwords have counts here, in the cache:
``guard_secret`` (per key and per client, like axes: an email change, a member
add), ``guard_passphrase`` (a review link's passphrase: per link and client with a
short lockout, and an hourly ceiling per link) and ``count_unknown_secret``
(made-up invitation tokens, per client; a real token is never refused). The DRF
throttles at the end limit people without an account (guests' joins and writes).

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
from dataclasses import dataclass
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


def digest(value: str) -> str:
    """The SHA-256 (hex) a cache key holds instead of an address, an account or a secret."""
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


@dataclass(frozen=True)
class Allowance:
    """At most ``limit`` counted misses per fixed window of ``window`` seconds, kept in the cache
    under ``counter``; once spent, ``message`` is said with "; try again in N seconds."."""

    counter: str
    limit: int
    window: int
    message: str = "Too many wrong tries"


def _refuse_if_spent(allowances: list[Allowance], now: float) -> None:
    for allowance in allowances:
        if (cache.get(allowance.counter) or 0) >= allowance.limit:
            started = cache.get(f"{allowance.counter}:since") or now
            seconds = max(1, int(started + allowance.window - now))
            raise TooManyTries(f"{allowance.message}; try again in {seconds} seconds.", wait=seconds)


def guard_guesses(allowances: list[Allowance], *, check: Callable[[], bool]) -> bool:
    """Run ``check`` (does the secret match?) unless one of ``allowances`` is spent; count a miss
    in each. Raises TooManyTries (a 429) while any is spent, for right and wrong tries alike."""
    now = time.time()
    _refuse_if_spent(allowances, now)
    if check():
        return True
    for allowance in allowances:
        _count(allowance.counter, allowance.window, now)
    return False


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

    ``key`` names what is being guessed at (an account's email, a director adding members). After
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
    allowances = [
        Allowance(f"reviewsvc:secret:{scope}:key:{digest(key)}", limit, window),
        Allowance(f"reviewsvc:secret:{scope}:client:{digest(_client_counter(request))}", limit, window),
    ]
    return guard_guesses(allowances, check=check)


def guard_passphrase(request: HttpRequest, *, link_id: int, check: Callable[[], bool]) -> bool:
    """Check a review link's passphrase, counting misses per (link, client) and per link.

    The client (the address, or the account when signed in) gets
    ``REVIEW_LINK_PASSPHRASE_FAILURES_PER_CLIENT`` misses at this link per
    ``REVIEW_LINK_PASSPHRASE_LOCKOUT_SECONDS``, then waits out the rest of that window; the link
    takes ``REVIEW_LINK_PASSPHRASE_FAILURES_PER_LINK`` misses an hour from everyone together, then
    refuses every try until the hour ends. One client's misses never lock out another client, nor
    another link (docs/review-links.md, "Passphrase guesses"). Raises TooManyTries.
    """
    client = digest(f"{link_id}:{_client_counter(request)}")
    allowances = [
        Allowance(
            f"reviewsvc:passphrase:client:{client}",
            settings.REVIEW_LINK_PASSPHRASE_FAILURES_PER_CLIENT,
            settings.REVIEW_LINK_PASSPHRASE_LOCKOUT_SECONDS,
            "Too many wrong passphrases from this address",
        ),
        Allowance(
            f"reviewsvc:passphrase:link:{link_id}",
            settings.REVIEW_LINK_PASSPHRASE_FAILURES_PER_LINK,
            3600,
            "Too many wrong passphrases for this link from many places; ask whoever shared it for"
            " a new link, or try again later",
        ),
    ]
    return guard_guesses(allowances, check=check)


def count_unknown_secret(request: HttpRequest, *, scope: str) -> None:
    """Count a made-up secret (one no row holds, such as an invitation token) against the client.

    Past ``AXES_FAILURE_LIMIT`` within ``lockout_seconds()`` (the sign-in lockout's numbers),
    raises TooManyTries instead: a client sending made-up tokens is told to stop. Only made-up
    secrets are counted and refused; the caller lets a real one through whatever this count
    says, since a 256-bit token is not guessed and refusing it only locks out its owner.
    """
    allowance = Allowance(
        f"reviewsvc:secret:{scope}:client:{digest(_client_counter(request))}",
        settings.AXES_FAILURE_LIMIT,
        lockout_seconds(),
    )
    now = time.time()
    _refuse_if_spent([allowance], now)
    _count(allowance.counter, allowance.window, now)


def _budget_allowances(counters: dict[str, int], message: str, window: int) -> list[Allowance]:
    return [
        Allowance(f"reviewsvc:budget:{digest(name)}", limit, window, message)
        for name, limit in counters.items()
    ]


def hourly_budget(counters: dict[str, int], *, message: str, window: int = 3600) -> None:
    """Spend one from each of ``counters`` ({name: how many per window}), or raise TooManyTries.

    Nothing is spent when any is exhausted. Used for mail a person can make the
    service send to someone else (invitations). Counts live in the cache, as above.
    """
    allowances = _budget_allowances(counters, message, window)
    now = time.time()
    _refuse_if_spent(allowances, now)
    for allowance in allowances:
        _count(allowance.counter, allowance.window, now)


def refuse_if_budget_spent(counters: dict[str, int], *, message: str, window: int = 3600) -> None:
    """Raise TooManyTries if any of ``hourly_budget``'s ``counters`` is exhausted; spend nothing.

    For a caller that must answer 429 before it answers anything else (which would tell what
    it checked), as the email change does before saying whether an address is taken.
    """
    _refuse_if_spent(_budget_allowances(counters, message, window), time.time())

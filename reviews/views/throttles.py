"""Rates for people without an account: DRF throttles, rates in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``.

The web layer's side of reviews/throttling.py (which keeps the counts of secrets and budgets,
without DRF): the guest API's writes and the review-link gate's joins (docs/review-links.md).
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from reviews.throttling import client_address, digest


class _RateThrottle(SimpleRateThrottle):
    """DRF's rate throttle (its history of request times in the configured cache), keyed by
    ``ident``; ``scope`` names the rate in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``."""

    def ident(self, request: Any) -> str:
        raise NotImplementedError

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": digest(self.ident(request))}


class GuestWriteThrottle(_RateThrottle):
    """A guest's notes, replies and edits, per guest (``request.auth`` of the guest API)."""

    scope = "guest-write"

    def ident(self, request: Any) -> str:
        return f"guest:{request.auth.pk}"


class GuestWriteAddressThrottle(_RateThrottle):
    """Guests' notes, replies and edits from one address, whichever guest sessions send them."""

    scope = "guest-write-address"

    def ident(self, request: Any) -> str:
        return client_address(request)


class GuestJoinThrottle(_RateThrottle):
    """Guests joining one review link from one address (each join is a guest row and an event)."""

    scope = "guest-join"

    def __init__(self, *, link_id: int) -> None:
        super().__init__()
        self.link_id = link_id

    def ident(self, request: Any) -> str:
        return f"{self.link_id}:{client_address(request)}"

"""System checks of a production deployment (``manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def rate_limits_are_shared(**kwargs: Any) -> list[Warning]:
    """The token and upload rate limits count in the cache; a per-process cache counts per process."""
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        return []
    return [
        Warning(
            "REDIS_URL is not set, so rate limits (sign-in attempts, uploads) are counted in each "
            "web process's memory: with N processes a client gets N times the limit.",
            hint="Set REDIS_URL, e.g. redis://redis:6379/1, to share the counts.",
            id="reviews.W001",
        )
    ]

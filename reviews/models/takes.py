"""Takes: a mentor's recommendation of one version of a shot, beside the director's decision.

The decision itself (``Version.decision``) and the lineage (``Version.parent_version``) are
columns of the version; a recommendation is a row per mentor, so several can recommend a take.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from reviews.models.review import Version


class Recommendation(models.Model):
    """``user`` recommends ``version`` as the shot's take; the director decides."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="recommendations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="recommendation_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} recommends {self.version}"

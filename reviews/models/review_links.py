"""Review links: a set of versions shared with people who have no account, and the guests using one.

A link is found by the SHA-256 of its token (the token itself is shown once, at
creation, and never stored); its passphrase, if any, is kept as a Django password
hash. A guest is one person who opened the link and gave a name: each opening
is a row, which is what a director sees as the link's opens.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReviewLink(models.Model):
    project = models.ForeignKey("reviews.Project", on_delete=models.CASCADE, related_name="review_links")
    label = models.CharField(max_length=200, blank=True)
    # hex SHA-256 of the token; the token is 256 bits from `secrets`, so no salt is needed.
    token_hash = models.CharField(max_length=64, unique=True)
    # A Django password hash, empty when the link has no passphrase.
    passphrase_hash = models.CharField(max_length=256, blank=True)
    # Versions named one by one, and shots whose chosen take (else latest) is shown when opened.
    versions = models.ManyToManyField("reviews.Version", blank=True, related_name="+")
    shots = models.ManyToManyField("reviews.Shot", blank=True, related_name="+")
    can_comment = models.BooleanField(default=True)
    can_download_original = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "created_at"], name="review_link_project_idx")]

    def __str__(self) -> str:
        return f"review link {self.pk} ({self.label or 'no label'}) of project {self.project_id}"

    @property
    def has_passphrase(self) -> bool:
        return bool(self.passphrase_hash)

    def is_live(self, now: object | None = None) -> bool:
        """Neither revoked nor past its expiry."""
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"


class ReviewLinkGuest(models.Model):
    """Someone who opened a review link and said who they are; author of the notes they write."""

    link = models.ForeignKey(ReviewLink, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    # When the link was opened (the "open" a director sees) and when the guest was last heard from.
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="review_link_guest_named")]

    def __str__(self) -> str:
        return f"guest {self.name} of link {self.link_id}"

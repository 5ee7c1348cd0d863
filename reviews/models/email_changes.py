"""An account's asked-for new email address, waiting for the link mailed to it to be followed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EmailChange(models.Model):
    """At most one per account: the address asked for and the hash of the link's token.

    The account's ``email`` stays the old one until the link is followed and
    confirmed (reviews/email_confirm.py): this address matches nothing (members
    by email, invitations, password resets) and only the owner sees it. The token
    exists only in the mail; ``token_hash`` is its SHA-256. ``bound_to`` is an HMAC
    of the account's email and password hash when it was asked for, so a change of
    either kills the link.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_change"
    )
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    bound_to = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} → {self.email}"

    @property
    def expired(self) -> bool:
        return timezone.now() >= self.expires_at

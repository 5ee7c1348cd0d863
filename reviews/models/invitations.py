"""Invitations: a director asks someone, by email, to join a project with a role."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from reviews.models.review import Project, Role


def email_key(email: str) -> str:
    """How addresses are compared: stripped and casefolded (Unicode, so SQLite agrees with PostgreSQL)."""
    return email.strip().casefold()


class InvitationState(models.TextChoices):
    """Computed from the row (``Invitation.state``), never stored: expiry is a matter of the clock."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(models.Model):
    """One address invited to one project; the link's token is known only to the mail.

    Only the SHA-256 of the token is stored (``token_hash``): a copy of the
    database opens no project. Inviting the same address again, or resending,
    replaces the hash, so an older link stops working. A project holds at most one
    open (neither accepted nor revoked) invitation per address, in any case.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    # As the director typed it; compared without regard to case.
    email = models.EmailField()
    # The address casefolded in Python (``email_key``): one key for "EXÄMPLE" and "exämple" on any database.
    email_key = models.CharField(max_length=254, default="", db_index=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the latest mail (and token) went out; each one numbers its mail's outbox key.
    sent_at = models.DateTimeField()
    send_count = models.PositiveIntegerField(default=1)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
            models.UniqueConstraint(
                fields=["email_key", "project"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_address_key",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.project_id} as {self.role}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.email_key = email_key(self.email)
        if kwargs.get("update_fields") is not None and "email" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "email_key"}
        super().save(*args, **kwargs)

    @property
    def state(self) -> InvitationState:
        if self.accepted_at is not None:
            return InvitationState.ACCEPTED
        if self.revoked_at is not None:
            return InvitationState.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.PENDING

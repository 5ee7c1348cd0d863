"""The outbox: every mail the service sends is a row first, written in the transaction that causes it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class OutgoingMailState(models.TextChoices):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMail(models.Model):
    """One message to one or more addresses, sent by Celery once its transaction commits.

    ``key`` names what the mail is for (``invitation:12:sent:3``, ``notification:88``…):
    queueing the same key twice stores one row, so a retried caller never mails twice.
    The task marks the row sent under a row lock, so a task delivered twice sends once.
    """

    key = models.CharField(max_length=200, unique=True)
    to = models.JSONField()
    subject = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # The bodies hold a live secret (an invitation or reset link): blanked once sent or given up.
    secret = models.BooleanField(default=False)
    state = models.CharField(
        max_length=16, choices=OutgoingMailState.choices, default=OutgoingMailState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=OutgoingMailState.values), name="outgoing_mail_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"mail {self.key} ({self.state})"

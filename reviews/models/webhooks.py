"""Webhooks: a director's subscription of a URL to a project's events, and the log of deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reviews.models.review import Event, Project


class Webhook(models.Model):
    """A URL that receives the project's events of the chosen kinds, signed with ``secret``.

    The secret signs every delivery (HMAC-SHA256, see ``reviews.webhooks``), so it is
    kept as it is; the API shows it once, when the webhook is created.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    # EventKind values, plus nothing else.
    event_types = models.JSONField(default=list)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event (or a test, or a redelivery) to send to one webhook, with the exact body signed.

    Fan-out makes at most one delivery per webhook and event; a redelivery is a new row
    naming the one it repeats. ``attempts`` counts the tries, each logged as a ``WebhookAttempt``.
    """

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # Null for a test event; the event may outlive nothing (its project goes with the webhook).
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    event_type = models.CharField(max_length=64)
    # The JSON text sent, byte for byte what was signed.
    body = models.TextField()
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the latest try was taken by a task: a claim far older than a try can last was abandoned.
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event"],
                condition=Q(redelivery_of__isnull=True, event__isnull=False),
                name="webhook_delivery_once_per_event",
            ),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="webhook_delivery_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["webhook", "-id"], name="webhook_delivery_log_idx")]

    def __str__(self) -> str:
        return f"delivery {self.pk} of {self.event_type} to webhook {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One try of a delivery: when, how it ended, what the receiver answered."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    # Null when no answer came (refused, timed out, address not allowed).
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

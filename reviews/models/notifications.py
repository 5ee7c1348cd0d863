"""Notifications: who is told of which event, what each person wants to hear, and which shots they watch."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationLevel(models.TextChoices):
    """How much of a project a person hears of, in the inbox or by email."""

    ALL = "all"
    # Mentions and replies to threads you are in, nothing else.
    MENTIONS = "mentions"
    NONE = "none"


class NotificationReason(models.TextChoices):
    """Why a person is told of an event; one notification keeps every reason that applies."""

    MENTIONED = "mentioned"
    REPLY = "reply"
    NOTE_ON_YOUR_VERSION = "note_on_your_version"
    NEW_VERSION = "new_version"
    YOUR_VERSION_READY = "your_version_ready"
    YOUR_VERSION_FAILED = "your_version_failed"
    REVIEW_STATUS_CHANGED = "review_status_changed"
    DECISION_CHANGED = "decision_changed"
    TAKE_RECOMMENDED = "take_recommended"
    YOUR_NOTE_RESOLVED = "your_note_resolved"


# The reasons a person at level "mentions" still hears of, and that are mailed within a minute.
DIRECT_REASONS = frozenset({NotificationReason.MENTIONED, NotificationReason.REPLY})


class EmailRoute(models.TextChoices):
    """How a notification reaches the mailbox, decided when it is created."""

    # Mentions and replies: batched per version, mailed within a minute.
    SOON = "soon"
    # Everything else: in the person's digest.
    DIGEST = "digest"
    NONE = "none"


class Notification(models.Model):
    """One event told to one person, with every reason it concerns them."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("reviews.Event", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("reviews.Project", on_delete=models.CASCADE, related_name="+")
    # Null for an event of no version; kept null when the version is deleted (the event still reads).
    version = models.ForeignKey(
        "reviews.Version", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reasons = models.JSONField(default=list)
    email = models.CharField(max_length=8, choices=EmailRoute.choices, default=EmailRoute.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event"], name="notification_once_per_event"),
            models.CheckConstraint(condition=Q(email__in=EmailRoute.values), name="notification_email_valid"),
        ]
        indexes = [
            # The inbox, and its unread count.
            models.Index(fields=["recipient", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient", "version"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # What is still to be mailed.
            models.Index(
                fields=["email", "recipient"],
                condition=Q(emailed_at__isnull=True),
                name="notification_unmailed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"notification {self.pk} of event {self.event_id} for {self.recipient_id}"


class NotificationSettings(models.Model):
    """What one member wants to hear of one project: in the inbox, and by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("reviews.Project", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=16, choices=NotificationLevel.choices, default=NotificationLevel.ALL)
    email_level = models.CharField(
        max_length=16, choices=NotificationLevel.choices, default=NotificationLevel.ALL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="notification_settings_unique"),
            models.CheckConstraint(
                condition=Q(level__in=NotificationLevel.values, email_level__in=NotificationLevel.values),
                name="notification_settings_levels_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.project_id}: {self.level}, email {self.email_level}"


class DigestFrequency(models.TextChoices):
    DAILY = "daily"
    HOURLY = "hourly"
    OFF = "off"


class DigestPreferences(models.Model):
    """When a person's digest of everything but mentions and replies is mailed (all projects alike)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.DAILY)
    # The hour of the day, in ``time_zone``, a daily digest is sent at.
    hour = models.PositiveSmallIntegerField(default=9)
    time_zone = models.CharField(max_length=64, default="UTC")
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="digest_hour_of_day"),
            models.CheckConstraint(
                condition=Q(frequency__in=DigestFrequency.values), name="digest_frequency_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"digest of {self.user_id}: {self.frequency} at {self.hour} {self.time_zone}"


class ShotWatch(models.Model):
    """A person's explicit choice to watch a shot (or not).

    Commenting on or uploading to a shot watches it without a row (Frame.io and Kitsu
    do the same); a row with ``watching=False`` is an explicit unwatch, which wins.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shot = models.ForeignKey("reviews.Shot", on_delete=models.CASCADE, related_name="watches")
    watching = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "shot"], name="shot_watch_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {'watches' if self.watching else 'unwatched'} shot {self.shot_id}"

"""The Celery interface of notifications, and the consumer that feeds it.

The consumer only enqueues (consumers must be quick); each task loads by id and
calls a service that is safe to run twice.
"""

from __future__ import annotations

from celery import shared_task
from django.db import IntegrityError

from reviews.events import consumer
from reviews.models import Event
from reviews.notifications import email, rules, services

# Mentions and replies are mailed this long after the first of a batch, so a burst of notes is one mail.
SOON_SECONDS = 60


@consumer
def notify_on_event(event: Event) -> None:
    # Most events of a busy project (edits, members) concern nobody: no task for those.
    if event.kind in rules.RULES or event.kind in rules.RETRACTS:
        create_notifications.delay(event.pk)


# A version or project deleted while the notifications were written fails their commit
# (reviews.services.versions._delete_with_media); written again, they no longer name it.
@shared_task(autoretry_for=(IntegrityError,), max_retries=3, default_retry_delay=1)
def create_notifications(event_id: int) -> None:
    """Tell everyone an event concerns (``services.notifications_create``)."""
    event = Event.objects.select_related("actor").filter(pk=event_id).first()
    if event is not None:
        services.notifications_create(event=event)


@shared_task
def send_soon(user_id: int, version_id: int) -> None:
    """Mail a person's pending mentions and replies on one version, as one message."""
    email.send_soon(user_id=user_id, version_id=version_id)


@shared_task
def send_digests() -> None:
    """Celery beat, every quarter hour: mail the digests that are due."""
    email.send_digests()

"""Webhooks: the project's events POSTed, signed, to URLs its directors chose.

Each delivery's body is JSON::

    {"id": "evt_812", "type": "comment.created", "created_at": "2026-11-30T05:12:09.123456+00:00",
     "project": {"id": 3, "name": "The Hesitation"}, "actor": {"id": 2, "username": "bob"} | null,
     "data": {...the event's payload: version, shot, comment ids, frame, excerpt...}}

and carries the headers ``Reviewsvc-Event`` (the type), ``Reviewsvc-Delivery`` (the
delivery id) and ``Reviewsvc-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is
HMAC-SHA256 with the webhook's secret over ``<t>.`` followed by the body's bytes
(the scheme Stripe documents). A receiver recomputes it, compares in constant time and
refuses a ``t`` older than a few minutes; it dedupes on ``id``, since a delivery may
arrive more than once (a redelivery, or a worker dying after the send).

A delivery is tried from Celery with a timeout, and again after 30 s, 1, 2, 4… minutes
(at most an hour apart) until it succeeds (a 2xx answer) or a day has passed
(``REVIEWSVC_WEBHOOK_RETRY_HOURS``); every try is logged as a ``WebhookAttempt``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F
from django.utils import timezone

from reviews import outbound
from reviews.events import consumer
from reviews.models import DeliveryState, Event, EventKind, Project, Webhook, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Reviewsvc-Signature"
TEST_EVENT_TYPE = "webhook.test"
# The kinds a webhook may subscribe to: every kind the event record holds.
EVENT_TYPES: tuple[str, ...] = tuple(EventKind.values)
LONGEST_RETRY_SECONDS = 3600


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for a body sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """Whether a signature header is valid for ``body`` and at most ``tolerance`` seconds old.

    What a receiver does; here for the tests and for anyone writing a receiver in Python.
    """
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed try number ``attempt`` (1-based): 30 s, doubling, at most an hour."""
    return min(settings.WEBHOOK_FIRST_RETRY_SECONDS * 2 ** (attempt - 1), LONGEST_RETRY_SECONDS)


def _require_https() -> bool:
    return settings.WEBHOOK_REQUIRE_HTTPS


def _checked_url(url: str) -> str:
    try:
        outbound.resolve(url, require_https=_require_https(), allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except outbound.TargetRefused as error:
        raise ValidationError({"url": [str(error)]}) from None
    return url


def _checked_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError({"event_types": [f"Unknown event type(s): {', '.join(unknown)}."]})
    if not event_types:
        raise ValidationError({"event_types": ["Name at least one event type."]})
    return sorted(set(event_types))


def _body(
    *, event_id: str, event_type: str, created_at: str, project: Project, actor: Any, data: dict
) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": created_at,
            "project": {"id": project.pk, "name": project.name},
            "actor": None if actor is None else {"id": actor.pk, "username": actor.get_username()},
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


# --- services ----------------------------------------------------------------


def webhook_create(
    *, project: Project, by: AbstractBaseUser, url: str, event_types: list[str], description: str = ""
) -> Webhook:
    """Subscribe a URL to the project's events; the new webhook's ``secret`` is shown once."""
    return Webhook.objects.create(
        project=project,
        url=_checked_url(url),
        event_types=_checked_types(event_types),
        description=description,
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=by,
    )


def webhook_update(*, webhook: Webhook, **fields: Any) -> Webhook:
    """Change a webhook's url, event types, description or ``active`` (the secret stays)."""
    if "url" in fields:
        fields["url"] = _checked_url(fields["url"])
    if "event_types" in fields:
        fields["event_types"] = _checked_types(fields["event_types"])
    for name, value in fields.items():
        setattr(webhook, name, value)
    webhook.save(update_fields=list(fields))
    return webhook


def webhook_rotate_secret(*, webhook: Webhook) -> Webhook:
    """A new secret, shown once; deliveries signed from now on use it."""
    webhook.secret = "whsec_" + secrets.token_urlsafe(32)
    webhook.save(update_fields=["secret"])
    return webhook


def _queue(delivery: WebhookDelivery) -> None:
    from reviews.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk, 1))


@transaction.atomic
def webhook_send_test(*, webhook: Webhook, by: AbstractBaseUser) -> WebhookDelivery:
    """Queue a ``webhook.test`` delivery, so a director can see their receiver answer."""
    body = _body(
        event_id=f"evt_test_{secrets.token_hex(8)}",
        event_type=TEST_EVENT_TYPE,
        created_at=timezone.now().isoformat(),
        project=webhook.project,
        actor=by,
        data={"message": "A test event from reviewsvc; nothing happened in the project."},
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event_type=TEST_EVENT_TYPE, body=body, next_attempt_at=timezone.now()
    )
    _queue(delivery)
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's body again, as a new delivery with its own tries (signed anew when sent)."""
    again = WebhookDelivery.objects.create(
        webhook=delivery.webhook,
        event=delivery.event,
        redelivery_of=delivery,
        event_type=delivery.event_type,
        body=delivery.body,
        next_attempt_at=timezone.now(),
    )
    _queue(again)
    return again


@consumer
def queue_deliveries(event: Event) -> None:
    """Make one delivery of a committed event for each active webhook that wants its kind."""
    webhooks = [
        webhook
        for webhook in Webhook.objects.filter(project_id=event.project_id, active=True)
        if event.kind in webhook.event_types
    ]
    if not webhooks:
        return
    body = _body(
        event_id=f"evt_{event.pk}",
        event_type=event.kind,
        created_at=event.created_at.isoformat(),
        project=event.project,
        actor=event.actor,
        data=event.payload,
    )
    with transaction.atomic():
        for webhook in webhooks:
            # The fan-out may run twice: the constraint keeps one delivery per event.
            delivery, created = WebhookDelivery.objects.get_or_create(
                webhook=webhook,
                event=event,
                redelivery_of=None,
                defaults={"event_type": event.kind, "body": body, "next_attempt_at": timezone.now()},
            )
            if created:
                _queue(delivery)


# --- sending -----------------------------------------------------------------


def _claim(delivery_id: int, number: int) -> bool:
    """Take try ``number`` of a pending delivery; False when another run has it or had it.

    A run that died after claiming but before logging its try leaves it claimed with no
    log: once the claim is older than a try can last (the send's deadline and a minute),
    the task delivered again takes it over (the receiver may then see it twice).
    """
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING)
    if pending.filter(attempts=number - 1).update(attempts=F("attempts") + 1, claimed_at=now):
        return True
    abandoned = now - timedelta(seconds=settings.WEBHOOK_TIMEOUT + 60)
    return bool(
        pending.filter(attempts=number, claimed_at__lt=abandoned)
        .exclude(Exists(WebhookAttempt.objects.filter(delivery_id=delivery_id, number=number)))
        .update(claimed_at=now)
    )


def _send(delivery: WebhookDelivery) -> tuple[int | None, str, bool]:
    """Try once: the answer's status code (None when none came), what went wrong, if anything,
    and whether another try may go otherwise (not for a URL or address that is refused)."""
    webhook = delivery.webhook
    try:
        target = outbound.resolve(
            webhook.url, require_https=_require_https(), allow_private=settings.WEBHOOK_ALLOW_PRIVATE
        )
    except outbound.TargetRefused as error:
        return None, str(error), not error.lasting
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "reviewsvc-webhooks/1",
        "Reviewsvc-Event": delivery.event_type,
        "Reviewsvc-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(webhook.secret, int(time.time()), body),
    }
    try:
        answer = outbound.post(target, body, headers, timeout=settings.WEBHOOK_TIMEOUT)
    except outbound.NO_ANSWER as error:
        return None, f"No answer: {type(error).__name__}: {error}", True
    if 200 <= answer.status < 300:
        return answer.status, "", True
    if 300 <= answer.status < 400:
        return answer.status, "The receiver answered with a redirect, which is not followed.", True
    return answer.status, f"The receiver answered {answer.status}.", True


def delivery_attempt(delivery_id: int, number: int) -> float | None:
    """Make try ``number`` of a delivery; the seconds until the next try, or None when it is over.

    Safe to run twice for the same try: only one run claims it.
    """
    if not _claim(delivery_id, number):
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    started = timezone.now()
    clock = time.monotonic()
    if delivery.webhook.active:
        code, error, may_change = _send(delivery)
    else:
        code, error, may_change = None, "The webhook was turned off; no more tries.", False
    succeeded = code is not None and not error
    window_ends = delivery.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    delay = retry_delay(number)
    again = not succeeded and may_change and started + timedelta(seconds=delay) < window_ends
    try:
        _log_attempt(
            delivery, number, started, clock, code, error, succeeded=succeeded, again=again, delay=delay
        )
    except IntegrityError:
        # The webhook was deleted while its try was on the wire: nothing is left to log it on.
        logger.info("webhook delivery %s was deleted during try %s", delivery.pk, number)
        return None
    logger.info("webhook delivery %s try %s: %s", delivery.pk, number, code or error)
    return delay if again else None


def _log_attempt(
    delivery: WebhookDelivery,
    number: int,
    started: datetime,
    clock: float,
    code: int | None,
    error: str,
    *,
    succeeded: bool,
    again: bool,
    delay: float,
) -> None:
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started,
            duration_ms=round((time.monotonic() - clock) * 1000),
            response_code=code,
            error=error[:500],
        )
        state = (
            DeliveryState.SUCCEEDED if succeeded else DeliveryState.PENDING if again else DeliveryState.FAILED
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=state,
            delivered_at=started if succeeded else None,
            next_attempt_at=started + timedelta(seconds=delay) if again else None,
        )

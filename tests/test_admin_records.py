"""The admin shows invitations, review links and their opens, notifications and people's settings
for them, the mail outbox, webhooks and their deliveries: every list and record page answers, in
a number of queries that does not grow with the rows, and never shows a secret, token or hash."""

from __future__ import annotations

import re
import secrets
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.email_confirm import email_change_request
from reviews.invitations import invitation_create
from reviews.models import (
    DigestPreferences,
    EmailChange,
    Event,
    Invitation,
    Notification,
    NotificationSettings,
    OutgoingMail,
    ReviewLink,
    ReviewLinkGuest,
    ShotWatch,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from reviews.review_links import guest_join, review_link_create
from tests.factories import UserFactory, VersionFactory

MODELS = [
    EmailChange,
    Invitation,
    ReviewLink,
    ReviewLinkGuest,
    Notification,
    NotificationSettings,
    DigestPreferences,
    ShotWatch,
    OutgoingMail,
    Webhook,
    WebhookDelivery,
]
# Queries of a whole page: the session, the user, counts, the rows with what they name, filters.
MAX_QUERIES = 15


def add_records(project, director, shot) -> list[str]:
    """One row of every kind, made as the service makes them; the secrets they hold."""
    tag = uuid.uuid4().hex[:8]
    person = UserFactory(username=f"frank-{tag}")
    version = VersionFactory(shot=shot)
    NotificationSettings.objects.create(user=person, project=project, level="mentions", email_level="none")
    DigestPreferences.objects.create(user=person, frequency="hourly")
    ShotWatch.objects.create(user=person, shot=shot, watching=False)

    invitation = invitation_create(
        project=project, email=f"grace-{tag}@example.com", role="viewer", by=director
    )
    invitation_mail = OutgoingMail.objects.get(key__startswith=f"invitation:{invitation.pk}:")
    link, token = review_link_create(
        project=project,
        by=director,
        versions=[version],
        shots=[shot],
        label=f"Client {tag}",
        passphrase="sesame",
    )
    guest_join(link=link, name=f"Heidi {tag}", email=f"heidi-{tag}@example.com")
    event = Event.objects.filter(project=project).latest("id")
    Notification.objects.create(
        recipient=person, event=event, project=project, version=version, reasons=["mention"]
    )

    unsubscribe = f"https://review.example.com/unsubscribe/{secrets.token_urlsafe(24)}/"
    OutgoingMail.objects.create(
        key=f"notification:{tag}",
        to=[f"frank-{tag}@example.com"],
        subject="Alice replied to your note",
        text=f"Alice replied.\n\nStop these: {unsubscribe}\n",
        headers={"List-Unsubscribe": f"<{unsubscribe}>"},
    )
    webhook = Webhook.objects.create(
        project=project,
        url=f"https://hooks.example.com/{tag}",
        event_types=["version.created"],
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=director,
    )
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=event, event_type=event.kind, body='{"type": "review_link.opened"}'
    )
    WebhookAttempt.objects.create(
        delivery=delivery, number=1, started_at=timezone.now(), duration_ms=40, response_code=503
    )
    change = email_change_request(user=person, email=f"frank-new-{tag}@example.com")
    change_mail = OutgoingMail.objects.filter(to=[change.email]).latest("id")
    return [
        change.token_hash,
        change.bound_to,
        *re.findall(r"https?://\S+", change_mail.text),
        invitation.token_hash,
        *re.findall(r"https?://\S+", invitation_mail.text),
        token,
        link.token_hash,
        link.passphrase_hash,
        unsubscribe,
        webhook.secret,
    ]


def page(client: Client, url: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.content.decode(), len(queries)


@pytest.fixture
def superuser(staff):
    staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_admin_list_and_record_page_answers_in_bounded_queries_without_secrets(
    model, superuser, project, director, shot
):
    held = add_records(project, director, shot)
    changelist = reverse(f"admin:reviews_{model._meta.model_name}_changelist")
    html, one_batch = page(superuser, changelist)
    held += add_records(project, director, shot)
    more_html, two_batches = page(superuser, f"{changelist}?q=")
    record, record_queries = page(
        superuser, reverse(f"admin:reviews_{model._meta.model_name}_change", args=[model.objects.first().pk])
    )

    assert model.objects.count() >= 2
    assert two_batches == one_batch <= MAX_QUERIES
    assert record_queries <= MAX_QUERIES
    for secret in held:
        assert secret not in html + more_html + record, f"{model.__name__} shows a secret"


def test_the_secret_mail_s_body_is_not_shown_while_it_is_still_queued(superuser, project, director):
    invitation = invitation_create(project=project, email="grace@example.com", role="viewer", by=director)
    mail = OutgoingMail.objects.get(key__startswith=f"invitation:{invitation.pk}:")
    assert mail.state == "queued"
    assert "http" in mail.text

    html, _ = page(superuser, reverse("admin:reviews_outgoingmail_change", args=[mail.pk]))

    assert "grace@example.com" in html
    assert "invites you to review" in html
    for link in re.findall(r"https?://\S+", mail.text):
        assert link not in html


def test_a_webhook_is_switched_off_in_the_admin_and_keeps_its_secret(superuser, project, director):
    webhook = Webhook.objects.create(
        project=project,
        url="https://hooks.example.com/a",
        event_types=["version.created"],
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=director,
    )
    url = reverse("admin:reviews_webhook_change", args=[webhook.pk])

    answer = superuser.post(url, {"description": "CI", "active": ""})

    assert answer.status_code == 302
    changed = Webhook.objects.get(pk=webhook.pk)
    assert (changed.active, changed.description, changed.secret) == (False, "CI", webhook.secret)
    assert webhook.secret not in superuser.get(url).content.decode()

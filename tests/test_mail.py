"""The outbox: mail is queued with the change that causes it and sent once, through a real SMTP server."""

from __future__ import annotations

import smtplib

import pytest
from django.db import transaction

from reviews.mail import mail_deliver, mail_queue
from reviews.models import OutgoingMail, OutgoingMailState
from reviewsvc.settings import email_settings

pytestmark = pytest.mark.django_db(transaction=True)


def queue(key: str = "test:1", **overrides) -> OutgoingMail:
    arguments = {
        "key": key,
        "to": ["bob@example.com"],
        "subject": "A note on SH010 v2",
        "template": "reviews/mail/base",
        "context": {"footer": "project Moon"},
    }
    with transaction.atomic():
        return mail_queue(**(arguments | overrides))


def test_it_sends_a_queued_mail_through_smtp_with_text_and_html(smtp):
    mail = queue(headers={"List-Unsubscribe": "<https://example.com/u/1>"})

    assert mail_deliver(mail.pk) is True

    (message,) = smtp.wait_for(1)
    assert message["To"] == "bob@example.com"
    assert message["Subject"] == "A note on SH010 v2"
    assert message["List-Unsubscribe"] == "<https://example.com/u/1>"
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    mail.refresh_from_db()
    assert mail.state == OutgoingMailState.SENT
    assert mail.sent_at is not None


def test_it_sends_a_mail_once_however_often_it_is_delivered_or_queued(smtp):
    mail = queue()
    assert queue().pk == mail.pk

    mail_deliver(mail.pk)
    mail_deliver(mail.pk)

    smtp.wait_for(1)
    assert len(smtp.messages) == 1
    assert OutgoingMail.objects.count() == 1


def test_it_records_a_refusal_and_sends_on_the_next_attempt(smtp):
    mail = queue()
    smtp.refuse(1)

    with pytest.raises(smtplib.SMTPException):
        mail_deliver(mail.pk)
    mail.refresh_from_db()
    assert mail.state == OutgoingMailState.QUEUED
    assert mail.attempts == 1
    assert "451" in mail.last_error

    mail_deliver(mail.pk)
    assert len(smtp.wait_for(1)) == 1
    mail.refresh_from_db()
    assert (mail.state, mail.attempts) == (OutgoingMailState.SENT, 2)


def test_it_queues_nothing_when_the_change_rolls_back(smtp):
    def change_that_fails() -> None:
        with transaction.atomic():
            mail_queue(
                key="rolled:back", to=["x@example.com"], subject="s", template="reviews/mail/base", context={}
            )
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not OutgoingMail.objects.exists()


def test_email_url_names_the_server_account_and_tls():
    assert email_settings("smtp://ann:p%40ss@mail.example.com:2525") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "ann",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": True,
    }
    assert email_settings("smtps://mail.example.com")["EMAIL_PORT"] == 465
    assert email_settings("smtp://127.0.0.1:25?tls=False")["EMAIL_USE_TLS"] is False
    assert email_settings("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ValueError, match="EMAIL_URL"):
        email_settings("http://mail.example.com")

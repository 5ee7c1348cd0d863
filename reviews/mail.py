"""Mail: queued in the caller's transaction, sent by Celery after commit, retried, never sent twice.

``mail_queue`` writes an ``OutgoingMail`` row and, once the transaction commits,
hands its id to the ``deliver_mail`` task, which calls ``mail_deliver``. The SMTP
server, port, account and TLS come from settings (``EMAIL_URL`` or Django's
``EMAIL_HOST``…); ``make run`` prints mail to the console.

A mail queued with ``secret=True`` (an invitation or password-reset link) keeps
its bodies only until it is sent or given up: then they become ``SECRET_SENT``,
so the outbox (the admin, a database copy, a backup) holds no live link. A
refused attempt keeps them, so the retry still delivers the link.

The ``.txt`` part is rendered with autoescaping off (it is plain text: "<b>" is
"<b>", not "&lt;b&gt;"); the ``.html`` part escapes as usual.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from reviews.models import OutgoingMail, OutgoingMailState

logger = logging.getLogger(__name__)

# What a later attempt may cure: the server refused for now, or could not be reached.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError)

# What a secret-bearing mail's bodies become once sent (or given up).
SECRET_SENT = "(sent; held a link that is not kept)"


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text mail template without HTML escaping (every ``.txt`` mail goes through here)."""
    template = get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def mail_queue(
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    template: str,
    context: dict,
    headers: dict[str, str] | None = None,
    secret: bool = False,
) -> OutgoingMail:
    """Store a mail rendered from ``<template>.txt`` and ``<template>.html``; send it after commit.

    ``key`` makes the call idempotent: a second call with the same key returns the
    first row and queues nothing. ``secret``: the bodies hold a live link, blanked
    once the mail is sent or given up (``SECRET_SENT``). Must run inside the transaction of the change
    that causes the mail, so a rolled-back change mails nobody.
    """
    from reviews.tasks import deliver_mail

    text = render_text(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    mail, created = OutgoingMail.objects.get_or_create(
        key=key,
        defaults={
            "to": list(to),
            "subject": " ".join(subject.split()),
            "text": text,
            "html": html,
            "headers": headers or {},
            "secret": secret,
        },
    )
    if created:
        transaction.on_commit(lambda: deliver_mail.delay(mail.pk))
    return mail


def mail_deliver(mail_id: int) -> bool:
    """Send one queued mail; True once it is sent (now or before), False if it is gone.

    Raises one of ``TRANSIENT_MAIL_ERRORS`` when the server could not take it, for
    the task to retry. The row stays locked while the server talks, so a second
    delivery of the same task waits and then finds it sent.
    """
    failure: Exception | None = None
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None:
            return False
        if mail.state == OutgoingMailState.SENT:
            return True
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=mail.to,
            headers=mail.headers,
        )
        if mail.html:
            message.attach_alternative(mail.html, "text/html")
        mail.attempts += 1
        try:
            message.send()
        except TRANSIENT_MAIL_ERRORS as error:
            # Recorded (the transaction still commits), then raised for the task to retry.
            failure = error
            mail.last_error = f"{type(error).__name__}: {error}"[:1000]
        else:
            mail.state = OutgoingMailState.SENT
            mail.sent_at = timezone.now()
            if mail.secret:
                mail.text = mail.html = SECRET_SENT
        mail.save(update_fields=["state", "sent_at", "attempts", "last_error", "text", "html"])
    if failure is not None:
        raise failure
    logger.info("sent %s to %d address(es)", mail.key, len(mail.to))
    return True


def mail_give_up(mail_id: int, reason: str) -> None:
    """Mark a mail failed after its last retry, keeping why for the admin."""
    unsent = OutgoingMail.objects.filter(pk=mail_id).exclude(state=OutgoingMailState.SENT)
    unsent.update(state=OutgoingMailState.FAILED, last_error=reason[:1000])
    # A link nobody received is still live until it expires: not kept either.
    unsent.filter(secret=True).update(text=SECRET_SENT, html=SECRET_SENT)

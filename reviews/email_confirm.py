"""Confirming a new email address: the change waits until a link mailed to that address is followed.

``PATCH /api/v1/me/`` and the account page ask for a change (after the gate in
reviews/email_change.py: current password, address not taken); the account's
``email`` stays as it is. An ``EmailChange`` row keeps the address asked for and
the SHA-256 of a ``secrets.token_urlsafe(32)`` token (256 bits) that exists only
in the mail to that address, sent through the outbox with ``secret=True`` (its
bodies are blanked once sent). The link ``/accounts/email/confirm/<token>/``
works once, for ``REVIEWSVC_EMAIL_CHANGE_HOURS``, and only while the account's
email and password are those it was asked with (``bound_to``). Asking again
replaces the row, so an older link stops working. The old address, if any, gets
a notice (no link).

Only ``User.email`` is an address the account has: set by a confirmation, by
accepting an invitation (the mail was followed), or by staff. A pending address
matches nothing: not ``POST /members/ {"email"}``, not invitations' "one
account per address", not password resets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from reviews.email_change import ADDRESS_TAKEN
from reviews.mail import mail_queue
from reviews.models import EmailChange
from reviews.models.invitations import email_key
from reviews.profiles import account_update, email_taken
from reviews.throttling import hourly_budget, refuse_if_budget_spent

User = get_user_model()


class LinkProblem(StrEnum):
    """Why a confirmation link does not work (each has its page)."""

    UNKNOWN = "unknown"  # mistyped, or replaced by a newer request
    USED = "used"
    EXPIRED = "expired"
    STALE = "stale"  # the account's email or password changed since it was asked for


class LinkDead(Exception):
    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(f"This confirmation link does not work ({problem.value}).")
        self.problem = problem


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _binding(user: AbstractBaseUser) -> str:
    """An HMAC (SECRET_KEY) of the account's email and password hash: changing either kills a link."""
    return salted_hmac(
        "reviews.email_confirm", f"{user.pk}:{user.email}:{user.password}", algorithm="sha256"
    ).hexdigest()


def confirm_link(token: str) -> str:
    return settings.REVIEWSVC_PUBLIC_URL + reverse("email-confirm-open", kwargs={"token": token})


# --- reads ------------------------------------------------------------------


def _problem(change: EmailChange, user: AbstractBaseUser) -> LinkProblem | None:
    if change.confirmed_at is not None:
        return LinkProblem.USED
    if change.expired:
        return LinkProblem.EXPIRED
    if not hmac.compare_digest(change.bound_to, _binding(user)):
        return LinkProblem.STALE
    return None


def pending_email(user: AbstractBaseUser) -> str | None:
    """The address the account asked for and has not confirmed yet (a live link), else None. Owner's eyes only."""
    change = EmailChange.objects.filter(user_id=user.pk).first()
    if change is None or _problem(change, user) is not None:
        return None
    return change.email


def email_change_by_token(token: str) -> EmailChange:
    """The request this token confirms; raises LinkDead (UNKNOWN, USED, EXPIRED, STALE) otherwise.

    Found by the hash's unique index, then compared in constant time.
    """
    digest = token_hash(token)
    return _working(EmailChange.objects.select_related("user").filter(token_hash=digest).first(), digest)


def email_change_by_token_hash(*, change_id: object, digest: str) -> EmailChange:
    """The request kept in a session (its id and token hash); raises LinkDead as above."""
    change = EmailChange.objects.select_related("user").filter(pk=change_id).first() if change_id else None
    return _working(change, digest)


def _working(change: EmailChange | None, digest: str) -> EmailChange:
    """``change`` if it holds ``digest`` (compared in constant time) and still works; else LinkDead."""
    if change is None or not hmac.compare_digest(change.token_hash, digest):
        raise LinkDead(LinkProblem.UNKNOWN)
    problem = _problem(change, change.user)
    if problem is not None:
        raise LinkDead(problem)
    return change


# --- writes -----------------------------------------------------------------


MAIL_BUDGET_SPENT = "Too many confirmation mails to this address or for your account"


def _mail_budgets(user: AbstractBaseUser, email: str) -> dict[str, int]:
    return {
        f"email-change-mail:address:{email_key(email)}": settings.REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ADDRESS,
        f"email-change-mail:account:{user.pk}": settings.REVIEWSVC_EMAIL_CHANGE_MAILS_PER_ACCOUNT,
    }


def refuse_if_mail_budget_spent(*, user: AbstractBaseUser, email: str) -> None:
    """TooManyTries if a confirmation mail to ``email`` for ``user`` would be refused now; spends nothing."""
    refuse_if_budget_spent(_mail_budgets(user, email.strip()), message=MAIL_BUDGET_SPENT)


@transaction.atomic
def email_change_request(*, user: AbstractBaseUser, email: str) -> EmailChange:
    """Ask to change the account's address to ``email``: mail it a confirmation link; the email stays.

    The caller has checked the password and that no account has ``email``
    (reviews.email_change.email_change_check). Raises TooManyTries (429) past the
    hourly mail budgets (per address, per account) before writing anything.
    """
    email = email.strip()
    hourly_budget(_mail_budgets(user, email), message=MAIL_BUDGET_SPENT)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    change, _ = EmailChange.objects.update_or_create(
        user=user,
        defaults={
            "email": email,
            "token_hash": token_hash(token),
            "bound_to": _binding(user),
            "created_at": now,
            "expires_at": now + timedelta(hours=settings.REVIEWSVC_EMAIL_CHANGE_HOURS),
            "confirmed_at": None,
        },
    )
    hours = settings.REVIEWSVC_EMAIL_CHANGE_HOURS
    stamp = f"{change.pk}:{now.timestamp():.6f}"
    mail_queue(
        # The key never holds the token.
        key=f"email-change:{user.pk}:{stamp}",
        to=[email],
        subject="Confirm your new email address for reviewsvc",
        template="reviews/mail/email_change",
        context={
            "subject": "Confirm your new email address",
            "user": user,
            "email": email,
            "link": confirm_link(token),
            "hours": hours,
        },
        secret=True,
    )
    if user.email:
        mail_queue(
            key=f"email-change-notice:{user.pk}:{stamp}",
            to=[user.email],
            subject="A new email address was asked for your reviewsvc account",
            template="reviews/mail/email_change_notice",
            context={
                "subject": "A new email address was asked for",
                "user": user,
                "email": email,
                "hours": hours,
            },
        )
    return change


@transaction.atomic
def email_change_cancel(*, user: AbstractBaseUser) -> None:
    """Forget the account's pending address: its link stops working."""
    EmailChange.objects.filter(user_id=user.pk, confirmed_at__isnull=True).delete()


@transaction.atomic
def email_change_confirm(*, change_id: int, digest: str, user: AbstractBaseUser) -> str:
    """Make the pending address the account's; return it.

    ``digest`` is the link's token hash (kept in the session), ``user`` the signed-in
    account, which must be the one that asked. Raises LinkDead, or ValidationError
    ``{"email": [ADDRESS_TAKEN]}`` when another account took the address meanwhile.
    """
    change = EmailChange.objects.select_for_update().filter(pk=change_id, user_id=user.pk).first()
    if change is None or not hmac.compare_digest(change.token_hash, digest):
        raise LinkDead(LinkProblem.UNKNOWN)
    account = User._default_manager.select_for_update().get(pk=user.pk)
    problem = _problem(change, account)
    if problem is not None:
        raise LinkDead(problem)
    if email_taken(change.email, exclude_pk=account.pk):
        raise ValidationError({"email": [ADDRESS_TAKEN]})
    account.email = change.email
    account.save(update_fields=["email"])
    user.email = change.email
    change.confirmed_at = timezone.now()
    change.save(update_fields=["confirmed_at"])
    return change.email


@transaction.atomic
def account_save(
    *, user: AbstractBaseUser, display_name: str | None = None, email: str | None = None
) -> EmailChange | None:
    """Save the account's name and email as its owner asked (after ``email_change_check``).

    A new address is not set: it is mailed a confirmation link and returned as the
    pending ``EmailChange``. Clearing the address, or changing only its case, is set
    at once (no new address to prove). None when nothing waits for confirmation.
    """
    if email is not None and email.strip() and email.strip().lower() != user.email.lower():
        account_update(user=user, display_name=display_name)
        return email_change_request(user=user, email=email)
    account_update(user=user, display_name=display_name, email=email)
    return None

"""Invitations: writes and reads of who was asked to join a project, and the mail that asks them.

A director invites an address with a role; the address gets a mail holding a
link ``/invitations/<token>/``. The token (``secrets.token_urlsafe(32)``) exists
only in that mail: the row keeps its SHA-256, looked up by hash and compared in
constant time. Following the link makes whoever holds it a member, either with a
new account or into the one they are signed in with. Inviting the address again
or resending gives it a new token and expiry, and the older link stops working.

Addresses are compared by ``email_key`` (stripped, casefolded in Python), so
"EXÄMPLE" and "exämple" are one invitation on any database. Every invitation
mail (create, re-invite, resend) counts against two hourly budgets, per
invited address and per director (``REVIEWSVC_INVITATION_MAILS_PER_ADDRESS`` /
``..._PER_DIRECTOR``); past either the answer is 429 with Retry-After and
nothing is written. A new account is never made for an address an account
already has (any case): that person signs in to accept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from reviews.accounts import check_new_account, normalize_username
from reviews.events import event_record, member_payload
from reviews.mail import mail_queue
from reviews.models import EventKind, Invitation, InvitationState, Membership, Project
from reviews.models.invitations import email_key
from reviews.profiles import email_taken
from reviews.throttling import hourly_budget

User = get_user_model()


class InvitationGone(Exception):
    """The invitation can no longer be accepted; ``state`` says why (accepted, revoked, expired)."""

    def __init__(self, state: InvitationState) -> None:
        super().__init__(f"This invitation is {state}.")
        self.state = state


class AddressHasAccount(Exception):
    """An account already uses the invited address: its owner signs in (or resets its password) to accept."""

    def __init__(self) -> None:
        super().__init__(
            "An account already uses the address this invitation was sent to: sign in to accept it, "
            "or reset that account's password if you have forgotten it."
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    """The absolute link of a token, for the mail."""
    return settings.REVIEWSVC_PUBLIC_URL + reverse("invitation-open", kwargs={"token": token})


# --- reads ------------------------------------------------------------------


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation whose current token this is, in any state; None if no invitation has it.

    Found by the hash's unique index; the hashes are then compared in constant time
    so that nothing about a near miss depends on how much of it matched.
    """
    digest = token_hash(token)
    invitation = Invitation.objects.select_related("project", "invited_by").filter(token_hash=digest).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        return None
    return invitation


def invitations_open(project: Project) -> QuerySet[Invitation]:
    """The project's invitations neither accepted nor revoked (expired ones included), oldest first."""
    return (
        Invitation.objects.filter(project=project, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("created_at", "id")
    )


# --- writes -----------------------------------------------------------------


def _spend_mail_budget(email: str, by: AbstractBaseUser) -> None:
    """Count one invitation mail to ``email`` by ``by``; TooManyTries (429) past either hourly budget."""
    hourly_budget(
        {
            f"invitation-mail:address:{email_key(email)}": settings.REVIEWSVC_INVITATION_MAILS_PER_ADDRESS,
            f"invitation-mail:director:{by.pk}": settings.REVIEWSVC_INVITATION_MAILS_PER_DIRECTOR,
        },
        message="Too many invitation mails to this address or from you",
    )


def _send(invitation: Invitation, *, by: AbstractBaseUser) -> str:
    """Give the invitation a new token, expiry and mail; return the token (for the mail only).

    Raises TooManyTries before writing anything when a mail budget is spent.
    """
    _spend_mail_budget(invitation.email, by)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.REVIEWSVC_INVITATION_DAYS)
    invitation.invited_by = by
    invitation.save()
    inviter = by.get_full_name() or by.get_username()
    mail_queue(
        key=f"invitation:{invitation.pk}:sent:{invitation.send_count}",
        to=[invitation.email],
        subject=f"{inviter} invites you to review “{invitation.project.name}”",
        template="reviews/mail/invitation",
        context={
            "subject": f"Join {invitation.project.name} on reviewsvc",
            "project": invitation.project.name,
            "inviter": inviter,
            "role": invitation.role,
            "link": invitation_link(token),
            "expires_at": invitation.expires_at,
            "days": settings.REVIEWSVC_INVITATION_DAYS,
            "footer": f"project {invitation.project.name}",
        },
        secret=True,
    )
    return token


@transaction.atomic
def invitation_create(*, project: Project, email: str, role: str, by: AbstractBaseUser) -> Invitation:
    """Invite ``email`` (any case) to ``project`` as ``role``, or renew its open invitation.

    Renewing sets the new role, a new expiry and a new token, and mails again: the
    older link stops working. Raises ValidationError when an account with that
    address is already a member.
    """
    email = email.strip()
    member = (
        Membership.objects.filter(project=project, user__email__iexact=email).select_related("user").first()
    )
    if member is not None:
        raise ValidationError(
            {
                "email": [
                    f"{member.user.get_username()}, who has that address, is already a member of this project."
                ]
            }
        )
    invitation = (
        invitations_open(project).select_for_update(of=("self",)).filter(email_key=email_key(email)).first()
    )
    if invitation is None:
        invitation = Invitation(project=project, email=email, role=role, send_count=1)
    else:
        invitation.role = role
        invitation.send_count += 1
    _send(invitation, by=by)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: AbstractBaseUser) -> Invitation:
    """Mail an open invitation again with a new token and expiry; the older link stops working."""
    invitation = Invitation.objects.select_for_update().select_related("project").get(pk=invitation.pk)
    if invitation.state in (InvitationState.ACCEPTED, InvitationState.REVOKED):
        raise InvitationGone(invitation.state)
    invitation.send_count += 1
    _send(invitation, by=by)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    """Make an open invitation's link useless. Revoking one accepted meanwhile changes nothing."""
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def _accept_locked(invitation_id: int, user: AbstractBaseUser) -> Membership:
    # The row lock makes two accepts of one link queue: the second finds it accepted.
    invitation = Invitation.objects.select_for_update().select_related("project").get(pk=invitation_id)
    if invitation.state != InvitationState.PENDING:
        raise InvitationGone(invitation.state)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership = Membership.objects.filter(project=invitation.project, user=user).first()
    if membership is not None:
        # Already a member (added meanwhile): the invitation is used up, the role stays as it is.
        return membership
    membership = Membership.objects.create(project=invitation.project, user=user, role=invitation.role)
    event_record(
        kind=EventKind.MEMBER_ADDED,
        project=invitation.project,
        actor=user,
        subject=user,
        payload={
            **member_payload(membership),
            "role": invitation.role,
            "invitation": {"id": invitation.pk, "invited_by": invitation.invited_by_id},
        },
    )
    return membership


@transaction.atomic
def invitation_accept(*, invitation_id: int, user: AbstractBaseUser) -> Membership:
    """Make ``user`` a member with the invitation's role; raises InvitationGone if it is not pending.

    The invited address need not be the account's: whoever holds the link was sent it.
    """
    return _accept_locked(invitation_id, user)


def _check_username_form(username: str) -> None:
    """The username field's own rules (length, allowed characters), as NFKC will store it."""
    try:
        User._meta.get_field(User.USERNAME_FIELD).run_validators(normalize_username(username))
    except ValidationError as error:
        raise ValidationError({"username": error.messages}) from error


def _email_key_taken(email: str) -> bool:
    """A casefolded match where the database's case-insensitive one is ASCII-only (SQLite)."""
    if connection.vendor != "sqlite":
        return False
    key = email_key(email)
    return any(email_key(other) == key for other in User._default_manager.values_list("email", flat=True))


@transaction.atomic
def invitation_accept_new_account(
    *, invitation_id: int, username: str, password: str, display_name: str = ""
) -> Membership:
    """Create an account (Django's rules for names and passwords) and accept into it, in one transaction.

    Raises ValidationError (``username``, ``password``), AddressHasAccount (an account has the
    invited address, in any case) or InvitationGone; in every case no account is left.
    """
    invitation = Invitation.objects.get(pk=invitation_id)
    if email_taken(invitation.email.strip(), exclude_pk=None) or _email_key_taken(invitation.email):
        raise AddressHasAccount()
    display_name = " ".join(display_name.split())
    _check_username_form(username)
    username = check_new_account(
        username=username, password=password, email=invitation.email, first_name=display_name
    )
    user = User.objects.create_user(
        username=username, password=password, email=invitation.email, first_name=display_name
    )
    return _accept_locked(invitation_id, user)

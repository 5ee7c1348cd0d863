"""An account's own settings: its display name and email, and signing it out everywhere.

The display name is kept in Django's ``first_name`` (150 characters), with
``last_name`` left empty, so ``get_full_name()`` (what every page and the API's
``display_name`` show) is exactly what the person typed, and no new table is
needed. An email belongs to at most one account, in any case: it is where
password resets are sent and what invitations are matched against, and
``POST /projects/{id}/members/`` refuses an address two accounts share.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from reviews.services import model_update

User = get_user_model()

_DB_SESSION_ENGINES = {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"}


def email_taken(email: str, *, exclude_pk: int | None) -> bool:
    """Whether an account other than ``exclude_pk`` has ``email`` (any case).

    Inside a transaction on PostgreSQL, first takes a lock on the address (held until the
    transaction ends), so that two accounts claiming one address at once are checked one after
    the other: the second sees the first's and is refused. No table has a unique index on
    addresses (Django's user model has none, and old rows may share one), so the lock is what
    keeps "one account per address" under concurrency.
    """
    _lock_address(email)
    return User._default_manager.filter(email__iexact=email).exclude(pk=exclude_pk).exists()


def _lock_address(email: str) -> None:
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return  # SQLite (make run) runs one writer at a time; outside a transaction it would not hold
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7214))", ["email:" + email.strip().lower()]
        )


@transaction.atomic
def account_update(
    *, user: AbstractBaseUser, display_name: str | None = None, email: str | None = None
) -> list[str]:
    """Set the account's display name and/or email (None: unchanged); return the fields that changed.

    Raises ValidationError ``{"email": [...]}`` when another account has the address.
    """
    data = {}
    if display_name is not None:
        data |= {"first_name": " ".join(display_name.split()), "last_name": ""}
    if email is not None:
        email = email.strip()
        if email and email_taken(email, exclude_pk=user.pk):
            raise ValidationError({"email": ["Another account uses this address; each has its own."]})
        data["email"] = email
    _, changed = model_update(instance=user, data=data)
    return changed


@transaction.atomic
def account_sign_out_everywhere(*, user: AbstractBaseUser, keep_session: str | None = None) -> int:
    """Revoke every API token and delete every session of the account but ``keep_session``.

    Returns how many sessions were deleted. Sessions hold the user's id in signed,
    encoded data, so the live ones are decoded to find them: this needs a
    database-backed session engine (the default).
    """
    if settings.SESSION_ENGINE not in _DB_SESSION_ENGINES:
        raise ImproperlyConfigured("Signing out everywhere needs database-backed sessions (SESSION_ENGINE).")
    # Named through the app registry: services run without DRF (a command, a shell), as in accounts.py.
    if apps.is_installed("rest_framework.authtoken"):
        apps.get_model("authtoken", "Token").objects.filter(user=user).delete()
    theirs = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).exclude(
            session_key=keep_session
        )
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(session_key__in=theirs).delete()
    if settings.SESSION_ENGINE.endswith("cached_db"):
        from django.contrib.sessions.backends.cached_db import SessionStore

        for key in theirs:
            SessionStore(session_key=key).delete()
    return len(theirs)

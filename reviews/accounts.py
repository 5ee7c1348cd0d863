"""Accounts: one rule for what a username is, and a password change that signs everyone out.

Django's user model stays as it is. Names are NFKC-normalised (a fullwidth
"alice" is "alice", "fiona" spelt with the "fi" ligature is "fiona") and unique
regardless of case (a database index on ``lower(username)``, migration 0004),
and sign-in looks names up the same way, so whoever gets a token with a name
can sign in on the page with it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.apps import apps
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model, update_session_auth_hash
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from reviews.identifiers import case_ambiguity_message, case_ambiguous_character

User = get_user_model()


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username)


def username_taken(username: str, *, exclude_pk: int | None = None) -> bool:
    twins = User._default_manager.filter(username__iexact=normalize_username(username))
    if exclude_pk is not None:
        twins = twins.exclude(pk=exclude_pk)
    return twins.exists()


def username_problem(username: str, *, exclude_pk: int | None = None) -> str | None:
    """Why ``username`` (NFKC-normalised) cannot name a new or renamed account, or None."""
    ambiguous = case_ambiguous_character(username)
    if ambiguous is not None:
        return case_ambiguity_message(ambiguous)
    if username_taken(username, exclude_pk=exclude_pk):
        return "A user with that username already exists."
    return None


def check_new_account(*, username: str, password: str | None, **fields: Any) -> str:
    """Apply Django's user-creation rules; return the normalised name or raise ValidationError."""
    username = normalize_username(username)
    problem = username_problem(username)
    if problem:
        raise ValidationError({"username": [problem]})
    if password is not None:
        try:
            validate_password(password, user=User(username=username, **fields))
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
    return username


def password_is_current(request: Any, user: AbstractBaseUser, password: str) -> bool:
    """Check a signed-in person's password the way sign-in does, so guesses count towards a lockout.

    ``user.check_password`` would let someone holding a stolen session or token
    guess the password at any speed; ``authenticate`` goes through axes.
    """
    checked = authenticate(request, username=user.get_username(), password=password)
    return checked is not None and checked.pk == user.pk


def password_change(*, request: Any, user: AbstractBaseUser, password: str) -> None:
    """Set a new password: every token and every other session of the account is revoked."""
    user.set_password(password)
    user.save()
    # A request signed with a session keeps that session, as Django's own password change does.
    if SESSION_KEY in request.session:
        update_session_auth_hash(request, user)


class CheckedPasswordChangeForm(PasswordChangeForm):
    """Django's password change form, with the old password checked through sign-in's lockout."""

    def __init__(self, user: AbstractBaseUser, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if not password_is_current(self.request, self.user, old_password):
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class UsernameBackend(ModelBackend):
    """Django's model backend, finding the account as names are kept: NFKC, any case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = User._default_manager.filter(username__iexact=normalize_username(username)).first()
        if user is None:
            # Hash anyway, so the answer takes as long for a name that does not exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


# A password change must sign the account out everywhere. Django already drops
# sessions whose stored hash no longer matches the password; API tokens have no
# such check. Every way to change a password (set_password in the admin, the
# changepassword command, a reset, our API) ends in User.save(), so this is the
# one place none of them can miss.
@receiver(pre_save, sender=User, dispatch_uid="reviews.accounts.note_password_change")
def _note_password_change(
    sender: type, instance: AbstractBaseUser, update_fields: Any = None, **kwargs: Any
) -> None:
    instance._reviewsvc_password_changed = False
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = User._default_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._reviewsvc_password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=User, dispatch_uid="reviews.accounts.revoke_tokens")
def _revoke_tokens_on_password_change(sender: type, instance: AbstractBaseUser, **kwargs: Any) -> None:
    # Named through the app registry: accounts, like services, runs without DRF (a command, a shell).
    if getattr(instance, "_reviewsvc_password_changed", False) and apps.is_installed(
        "rest_framework.authtoken"
    ):
        apps.get_model("authtoken", "Token").objects.filter(user=instance).delete()

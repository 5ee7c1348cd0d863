"""One gate for changing an account's email, used by PATCH /api/v1/me/ and the account page.

An email change needs the current password (checked through sign-in's lockout)
and an address no other account has. Whether another account has it is an
answer about someone else, so each refusal counts in ``guard_secret``'s
"email-change" scope: past the limit every change is 429 until the window ends,
whichever of the two doors is used.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError

from reviews import accounts, profiles
from reviews.throttling import guard_secret, raise_if_locked_out

WRONG_PASSWORD = "Give your current password to change the address resets are sent to."
ADDRESS_TAKEN = "Another account uses this address; each has its own."


def email_change_check(*, request: Any, user: AbstractBaseUser, email: str | None, password: str) -> None:
    """Allow setting ``email`` (None or the same address in any case: nothing to check).

    Raises ValidationError ``{"password": [...]}`` or ``{"email": [...]}`` (400), or
    TooManyTries (429) once the sign-in lockout or the "email-change" limit is reached.
    """
    if email is None or email.strip().lower() == user.email.lower():
        return
    if not accounts.password_is_current(request, user, password or ""):
        raise_if_locked_out(request)
        raise ValidationError({"password": [WRONG_PASSWORD]})
    if email.strip() and email.strip().lower() != user.email.lower():
        # Past the confirmation-mail budget every new address is a 429 before anything says
        # whether it is taken: else taken (400) and free (429) addresses could be told apart.
        from reviews.email_confirm import refuse_if_mail_budget_spent

        refuse_if_mail_budget_spent(user=user, email=email)
    free = guard_secret(
        request,
        scope="email-change",
        key=f"user:{user.pk}",
        # No address (clearing it) is nobody's.
        check=lambda: not email.strip() or not profiles.email_taken(email.strip(), exclude_pk=user.pk),
    )
    if not free:
        raise ValidationError({"email": [ADDRESS_TAKEN]})

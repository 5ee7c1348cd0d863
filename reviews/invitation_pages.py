"""The pages an invitation link leads to: open it, then join with a new account or the one you have.

``/invitations/<token>/`` checks the token (made-up ones count against the
client, ``count_unknown_secret``; a real one always opens), keeps the invitation's id and token hash in the
session and redirects to ``/invitations/accept/``, so the token leaves the
address bar, the browser history and any Referer at once. The accept page checks
the hash again on every request: a link resent or revoked meanwhile stops there too.

No answer about a token is written to Django's request log: a 404, 410 or 429
is normally logged with its path, and this path is the secret.
"""

from __future__ import annotations

import hmac
from typing import Any

from django import forms
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_safe

from reviews import invitations
from reviews.link_pages import problem_page
from reviews.models import Invitation, InvitationState, Membership
from reviews.throttling import TooManyTries, count_unknown_secret

SESSION_KEY = "reviewsvc_invitation"
# The backend a new account is signed in with (the one that finds names as they are kept).
BACKEND = "reviews.accounts.UsernameBackend"

_GONE = {
    InvitationState.ACCEPTED: (
        "This invitation has been used",
        "Its link worked once, and it has been followed.",
    ),
    InvitationState.REVOKED: ("This invitation was withdrawn", "A director of the project revoked it."),
    InvitationState.EXPIRED: (
        "This invitation has expired",
        "Its link worked for a limited time, which has passed.",
    ),
}


def _not_valid(request: HttpRequest) -> HttpResponse:
    return problem_page(
        request,
        404,
        "This invitation link does not work",
        "It may have been mistyped, or replaced by a newer mail: open the latest invitation you received.",
    )


def _gone(request: HttpRequest, state: InvitationState) -> HttpResponse:
    title, message = _GONE[state]
    return problem_page(request, 410, title, f"{message} Ask a director of the project to invite you again.")


@require_safe
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.invitation_by_token(token)
    if invitation is None:
        # Made-up tokens count against the client, which is told to stop past the limit. A real
        # token is never refused for them: at 256 bits it is not guessed, so refusing it would
        # only lock out the invitee behind an address someone else scans from.
        try:
            count_unknown_secret(request, scope="invitation")
        except TooManyTries as error:
            response = problem_page(request, 429, "Too many wrong links", str(error))
            response["Retry-After"] = str(error.wait)
            return response
        return _not_valid(request)
    if invitation.state != InvitationState.PENDING:
        return _gone(request, invitation.state)
    request.session[SESSION_KEY] = {"id": invitation.pk, "hash": invitation.token_hash}
    return redirect("invitation-accept")


class NewAccountForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"})
    )
    display_name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


def _held_invitation(request: HttpRequest) -> Invitation | HttpResponse:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return problem_page(
            request, 404, "No invitation open", "Follow the link in your invitation mail to open it here."
        )
    invitation = Invitation.objects.select_related("project", "invited_by").filter(pk=held.get("id")).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, str(held.get("hash"))):
        return _not_valid(request)
    if invitation.state != InvitationState.PENDING:
        return _gone(request, invitation.state)
    return invitation


def _next_page(request: HttpRequest, invitation: Invitation) -> str:
    """Where to go once a member: a safe ``next`` of this site, else the project."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("review-project", kwargs={"project_id": invitation.project_id})


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    invitation = _held_invitation(request)
    if isinstance(invitation, HttpResponse):
        return invitation
    form = NewAccountForm()
    if request.method == "POST":
        if request.user.is_authenticated:
            return _join(request, invitation, user=request.user)
        form = NewAccountForm(request.POST)
        if form.is_valid():
            response = _join_with_new_account(request, invitation, form)
            if response is not None:
                return response
    user = request.user
    membership = (
        Membership.objects.filter(project_id=invitation.project_id, user=user).first()
        if user.is_authenticated
        else None
    )
    context = {
        "invitation": invitation,
        # Accepting as a member keeps the role they have (reviews.invitations): say so first.
        "member_role": membership.get_role_display().lower() if membership else None,
        "inviter": (invitation.invited_by.get_full_name() or invitation.invited_by.get_username())
        if invitation.invited_by
        else None,
        "form": form,
        "next": request.GET.get("next", ""),
        "login_url": reverse("login") + "?next=" + reverse("invitation-accept"),
        "email_differs": user.is_authenticated and user.email.lower() != invitation.email.lower(),
        "address_has_account": getattr(form, "address_has_account", False),
        "reset_url": reverse("password_reset"),
    }
    status = 400 if form.is_bound else 200
    return render(request, "reviews/invitation_accept.html", context, status=status)


def _join(request: HttpRequest, invitation: Invitation, *, user: Any) -> HttpResponse:
    try:
        invitations.invitation_accept(invitation_id=invitation.pk, user=user)
    except invitations.InvitationGone as gone:
        return _gone(request, gone.state)
    request.session.pop(SESSION_KEY, None)
    return redirect(_next_page(request, invitation))


def _join_with_new_account(
    request: HttpRequest, invitation: Invitation, form: NewAccountForm
) -> HttpResponse | None:
    """Create the account and sign it in; None (with the form's errors set) if it cannot be made."""
    try:
        membership = invitations.invitation_accept_new_account(
            invitation_id=invitation.pk,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            display_name=form.cleaned_data["display_name"],
        )
    except invitations.InvitationGone as gone:
        return _gone(request, gone.state)
    except invitations.AddressHasAccount as taken:
        # The link holder was sent it at this address; saying an account has it adds nothing they lack.
        form.add_error(None, str(taken))
        form.address_has_account = True
        return None
    except ValidationError as error:
        form.add_error(None, error)
        return None
    except IntegrityError:
        # The name was taken between the check and the insert.
        form.add_error("username", "A user with that username already exists.")
        return None
    request.session.pop(SESSION_KEY, None)
    login(request, membership.user, backend=BACKEND)
    return redirect(_next_page(request, invitation))


urlpatterns = [
    path("invitations/accept/", invitation_accept, name="invitation-accept"),
    path("invitations/<str:token>/", invitation_open, name="invitation-open"),
]

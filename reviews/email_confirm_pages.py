"""The pages a confirmation link leads to: open it, then confirm the new address with a button.

``/accounts/email/confirm/<token>/`` checks the token (wrong ones count towards
``count_unknown_secret``'s "email-confirm" limit), keeps the request's id and token hash
in the session and redirects to ``/accounts/email/confirm/``, so the token leaves
the address bar, the history and any Referer at once. That page needs the account
that asked to be signed in; GET shows the address and a button, and only the POST
confirms, so a mail scanner fetching the link changes nothing.

No answer about a token is written to Django's request log (the path is the
secret); reviewsvc/log_redaction.py covers the logs the view never sees.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from reviews import email_confirm
from reviews.email_confirm import LinkDead, LinkProblem
from reviews.link_pages import problem_page
from reviews.models import EmailChange
from reviews.throttling import TooManyTries, count_unknown_secret

SESSION_KEY = "reviewsvc_email_change"

_DEAD = {
    LinkProblem.UNKNOWN: (
        404,
        "This confirmation link does not work",
        "It may have been mistyped, or replaced by a newer mail: open the latest one you received, "
        "or ask for the change again on your account page.",
    ),
    LinkProblem.USED: (410, "This link has been used", "The address it confirms was confirmed already."),
    LinkProblem.EXPIRED: (
        410,
        "This link has expired",
        "It worked for a limited time, which has passed. Ask for the change again on your account page.",
    ),
    LinkProblem.STALE: (
        410,
        "This link no longer works",
        "The account's email or password changed after it was sent. Ask for the change again on your "
        "account page.",
    ),
}


def _dead(request: HttpRequest, problem: LinkProblem) -> HttpResponse:
    return problem_page(request, *_DEAD[problem])


@require_safe
def email_confirm_open(request: HttpRequest, token: str) -> HttpResponse:
    try:
        change = email_confirm.email_change_by_token(token)
    except LinkDead as dead:
        if dead.problem == LinkProblem.UNKNOWN:
            # Made-up tokens count against the client, told to stop past the limit. A real token
            # (or a used or expired one: not a guess) is never refused for them: at 256 bits it
            # is not guessed, so refusing it would only lock out its owner behind a shared address.
            try:
                count_unknown_secret(request, scope="email-confirm")
            except TooManyTries as error:
                response = problem_page(request, 429, "Too many wrong links", str(error))
                response["Retry-After"] = str(error.wait)
                return response
        return _dead(request, dead.problem)
    request.session[SESSION_KEY] = {"id": change.pk, "hash": change.token_hash}
    return redirect("email-confirm")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def email_confirm_page(request: HttpRequest) -> HttpResponse:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return problem_page(
            request, 404, "No address to confirm", "Follow the link in the confirmation mail to open it here."
        )
    change = EmailChange.objects.filter(pk=held.get("id")).first()
    if change is not None and change.user_id != request.user.pk:
        return problem_page(
            request,
            403,
            "This link is for another account",
            "Sign out, then sign in with the account that asked for this address and open the link again.",
        )
    if request.method == "POST":
        try:
            email = email_confirm.email_change_confirm(
                change_id=held.get("id"), digest=str(held.get("hash")), user=request.user
            )
        except LinkDead as dead:
            request.session.pop(SESSION_KEY, None)
            return _dead(request, dead.problem)
        except ValidationError:
            # The address cannot become this account's: nothing waits for confirmation any more.
            email_confirm.email_change_cancel(user=request.user)
            request.session.pop(SESSION_KEY, None)
            return problem_page(
                request,
                409,
                "Another account now uses this address",
                "It was taken after you asked for it, and each address belongs to one account. Your "
                "email stays as it was.",
            )
        request.session.pop(SESSION_KEY, None)
        messages.success(request, f"Your email is now {email}.")
        return redirect("account")
    try:
        change = email_confirm.email_change_by_token_hash(
            change_id=held.get("id"), digest=str(held.get("hash"))
        )
    except LinkDead as dead:
        return _dead(request, dead.problem)
    return render(request, "reviews/email_confirm.html", {"change": change})


@require_POST
@login_required
def email_change_cancel(request: HttpRequest) -> HttpResponse:
    email_confirm.email_change_cancel(user=request.user)
    messages.success(request, "The change of address is cancelled; its link no longer works.")
    return redirect("account")


urlpatterns = [
    path("accounts/email/confirm/", email_confirm_page, name="email-confirm"),
    path("accounts/email/confirm/<str:token>/", email_confirm_open, name="email-confirm-open"),
    path("accounts/email/cancel/", email_change_cancel, name="email-change-cancel"),
]

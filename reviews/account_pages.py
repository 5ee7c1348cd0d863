"""The account pages: your name, email and password, signing out everywhere, and a password reset by mail.

Plain forms posted to Django views (CSRF on each), no script. The password
reset is Django's own views with our templates; its mail goes through the
outbox (``OutboxPasswordResetForm``), and the page after asking says the same
whether or not an account has the address. Setting the new password revokes
every token and session of the account (reviews/accounts.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from reviews import accounts, email_confirm, profiles
from reviews.email_change import email_change_check
from reviews.mail import mail_queue
from reviews.models import OutgoingMail
from reviews.throttling import TooManyTries

# One reset mail per account in this many seconds: asking again and again fills nobody's inbox.
RESET_MAIL_INTERVAL = 120


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form (the same answer for any address), mailing through our outbox."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        # mail_queue belongs inside a transaction: the rows commit, then Celery sends them.
        with transaction.atomic():
            super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        recent = OutgoingMail.objects.filter(
            key__startswith=f"password-reset:{context['user'].pk}:",
            created_at__gt=timezone.now() - timedelta(seconds=RESET_MAIL_INTERVAL),
        )
        if recent.exists():
            return
        link = settings.REVIEWSVC_PUBLIC_URL + reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        mail_queue(
            # Each request is its own mail; the key never holds the reset token.
            key=f"password-reset:{context['user'].pk}:{uuid.uuid4().hex}",
            to=[to_email],
            subject="Set a new password for reviewsvc",
            template="reviews/mail/password_reset",
            context={
                "subject": "Set a new password for reviewsvc",
                "user": context["user"],
                "link": link,
                "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
            },
            secret=True,
        )


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        max_length=254, required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed to change the email.",
    )


def _profile_form(user: Any) -> ProfileForm:
    return ProfileForm(initial={"display_name": user.get_full_name(), "email": user.email})


def _account_page(request: HttpRequest, *, status: int = 200, **forms_given: Any) -> HttpResponse:
    password_form = forms_given.get("password_form") or accounts.CheckedPasswordChangeForm(
        request.user, request=request
    )
    # Django's form focuses the old password; on a page of three forms, nothing should jump.
    password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    context = {
        "profile_form": forms_given.get("profile_form") or _profile_form(request.user),
        "password_form": password_form,
        "pending_email": email_confirm.pending_email(request.user),
    }
    return render(request, "reviews/account.html", context, status=status)


@require_safe
@login_required
def account_page(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@require_POST
@login_required
def profile_save(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    user = request.user
    if form.is_valid():
        email = form.cleaned_data["email"].strip()
        try:
            # The API's gate too (reviews/email_change.py): one count of refusals for both.
            email_change_check(
                request=request, user=user, email=email, password=form.cleaned_data["password"]
            )
            pending = email_confirm.account_save(
                user=user, display_name=form.cleaned_data["display_name"], email=email
            )
        except ValidationError as error:
            form.add_error(None, error)
        except TooManyTries as error:
            form.add_error(None, str(error))
            response = _account_page(request, status=429, profile_form=form)
            response["Retry-After"] = str(error.wait)
            return response
        else:
            if pending is None:
                messages.success(request, "Your name and email are saved.")
            else:
                messages.success(
                    request,
                    f"We mailed a link to {pending.email}: follow it to confirm the address. "
                    "Until then your email stays as it was.",
                )
            return redirect("account")
    return _account_page(request, status=400, profile_form=form)


@require_POST
@login_required
def password_save(request: HttpRequest) -> HttpResponse:
    form = accounts.CheckedPasswordChangeForm(request.user, request.POST, request=request)
    if not form.is_valid():
        return _account_page(request, status=400, password_form=form)
    accounts.password_change(request=request, user=request.user, password=form.cleaned_data["new_password1"])
    messages.success(request, "Your password is changed; every other session and token is signed out.")
    return redirect("account")


@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    profiles.account_sign_out_everywhere(user=request.user)
    logout(request)
    return redirect("login")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "reviews/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "reviews/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        # A used, expired or mistyped link (Django cannot tell which) answers 410, as the
        # invitation and email-confirmation links do, not 200 with "does not work".
        if not self.validlink:
            kwargs["status"] = 410
        return super().render_to_response(context, **kwargs)


urlpatterns = [
    path("accounts/", account_page, name="account"),
    path("accounts/profile/", profile_save, name="account-profile"),
    path("accounts/password/", password_save, name="account-password"),
    path("accounts/sign-out-everywhere/", sign_out_everywhere, name="account-sign-out-everywhere"),
    path("accounts/password/reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="reviews/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="reviews/password_reset_complete.html"),
        name="password_reset_complete",
    ),
]

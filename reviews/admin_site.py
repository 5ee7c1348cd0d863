"""The admin site, with its own password change checking the old password through sign-in's lockout."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from reviews.accounts import CheckedPasswordChangeForm


class AdminPasswordChangeForm(CheckedPasswordChangeForm):
    required_css_class = "required"


class AdminPasswordChangeView(PasswordChangeView):
    form_class = AdminPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class ReviewsAdminSite(admin.AdminSite):
    def password_change(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        request.current_app = self.name
        return AdminPasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            **({"template_name": self.password_change_template} if self.password_change_template else {}),
        )(request)

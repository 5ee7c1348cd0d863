"""The inbox page, and the one-click unsubscribe page that mail links to (no sign-in needed)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from reviews.models import Project
from reviews.notifications import email


@require_safe
@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/inbox.html")


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookie and no CSRF token;
# the signed token in the address is the whole authority, and all it can do is stop mail.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    target = email.unsubscribe_target(token)
    if target is None:
        return render(request, "reviews/unsubscribe.html", {"invalid": True}, status=400)
    user_id, project_id = target
    project = Project.objects.filter(pk=project_id).only("name").first()
    if request.method == "POST":
        if project is not None:
            email.email_unsubscribe(user_id=user_id, project_id=project_id)
        return render(request, "reviews/unsubscribe.html", {"done": True, "project": project})
    # A GET only asks: link scanners and previews follow links, and must not unsubscribe anyone.
    return render(request, "reviews/unsubscribe.html", {"project": project, "token": token})


urlpatterns = [
    path("review/inbox/", inbox_page, name="review-inbox"),
    path("notifications/unsubscribe/<str:token>/", unsubscribe_page, name="notifications-unsubscribe"),
]

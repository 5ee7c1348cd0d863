"""The review pages: shells that the JavaScript under ``static/reviews/`` fills from the public API.

The views only check that the person may see the page and hand its ids to the
template; everything on the page is read and written through ``/api/v1/`` with
the session cookie, so a page can do nothing a client cannot. Visibility comes
from the same selectors as the API: a project or version outside the user's
projects is a 404 here too, and a visitor who is not signed in is sent to the
login page.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView

from reviews import selectors, services
from reviews.compare import compare_page
from reviews.notifications import selectors as inbox


def _not_found(request: HttpRequest) -> HttpResponse:
    # The API's 404 is JSON; a person following a link gets a page with a way back.
    return render(request, "reviews/not_found.html", status=404)


@require_safe
@login_required
def projects_page(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/projects.html")


@require_safe
@login_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.projects_for(request.user).filter(pk=project_id).first()
    if project is None:
        return _not_found(request)
    return render(request, "reviews/project.html", {"project_id": project.pk})


@require_safe
@login_required
def version_page(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.versions_for(request.user).filter(pk=version_id).first()
    if version is None:
        return _not_found(request)
    # Notes after the previous visit are marked new on the page (reviews/js/conversation.js).
    seen_before = inbox.last_seen(version=version, user=request.user)
    # Opening the page is reading what was said there: the project page stops calling it unread.
    services.version_seen(version=version, user=request.user)
    return render(
        request,
        "reviews/version.html",
        {
            "version_id": version.pk,
            "shot_id": version.shot_id,
            "project_id": version.shot.project_id,
            "seen_before": seen_before.isoformat() if seen_before else "",
        },
    )


class LoginView(auth_views.LoginView):
    template_name = "reviews/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    # Django's LogoutView signs out on POST only, so a link cannot sign anyone out.
    next_page = "login"


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="review-projects"), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("review/", projects_page, name="review-projects"),
    path("review/projects/<int:project_id>/", project_page, name="review-project"),
    path("review/versions/<int:version_id>/", version_page, name="review-version"),
    path("review/compare/", compare_page, name="review-compare"),
    # The inbox and the unsubscribe page of notification mail.
    path("", include("reviews.notifications.pages")),
]

"""Pages answered at addresses that hold a secret token: invitation and email-confirmation links."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def unlogged(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as logged already: Django logs every 4xx with the request's path
    ("Gone: /invitations/<token>/"), and the path holds the token."""
    response._has_been_logged = True
    return response


def problem_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """A page saying why a link does not work (``title``, ``message``), answered with ``status``,
    never logged with its path."""
    context = {"title": title, "message": message}
    return unlogged(render(request, "reviews/invitation_problem.html", context, status=status))

"""Session sign-in for the API, with a CSRF check that never parses an upload."""

from __future__ import annotations

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF check does not read a multipart body.

    Django's CSRF check looks for a form token in ``request.POST``; for a multipart
    upload that parses the whole body into temporary files before the view checks
    the member's role or the upload throttle. Scripts and pages send the token in
    the X-CSRFToken header, which is all the check reads here for such a body.
    """

    def enforce_csrf(self, request: Request) -> None:
        django_request = request._request
        content_type = django_request.META.get("CONTENT_TYPE", "").strip().lower()
        if not content_type.startswith("multipart/") or hasattr(django_request, "_post"):
            super().enforce_csrf(request)
            return
        # An empty form for the check to look in, removed so the view parses the real body later.
        django_request._post, django_request._files = QueryDict(), MultiValueDict()
        try:
            super().enforce_csrf(request)
        finally:
            del django_request._post, django_request._files


class SessionCookieScheme(SessionScheme):
    """The schema documents this class as DRF's: the same session cookie."""

    target_class = "reviews.authentication.SessionAuthentication"

"""Session sign-in for the API, with a CSRF check that never parses an upload."""

from __future__ import annotations

from django.http import QueryDict
from drf_spectacular.authentication import SessionScheme
from rest_framework import authentication
from rest_framework.request import Empty, Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF check does not read a multipart body.

    Django's CSRF check looks for a form token in ``request.POST``, which on a DRF
    request parses the body: for a multipart upload, the whole file into a temporary
    file, before the view checks the member's role or the upload throttle. Scripts
    and pages send the token in the X-CSRFToken header, which is all the check reads
    here for such a body.
    """

    def enforce_csrf(self, request: Request) -> None:
        content_type = request.META.get("CONTENT_TYPE", "").strip().lower()
        if not content_type.startswith("multipart/") or request._data is not Empty:
            super().enforce_csrf(request)
            return
        # DRF's request.POST answers with this, unparsed; the view parses the real body later.
        request._data = QueryDict()
        try:
            super().enforce_csrf(request)
        finally:
            request._data = Empty


class SessionCookieScheme(SessionScheme):
    """The schema documents this class as DRF's: the same session cookie."""

    target_class = "reviews.authentication.SessionAuthentication"

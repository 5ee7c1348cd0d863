"""Requests refused before anything reads their body."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

# The one endpoint that takes files (reviews/urls.py).
UPLOAD_URL_NAME = "version-list"


class FilesOnlyForUploadsMiddleware:
    """Refuse a multipart body with a 415 everywhere but the version upload, before anything reads it.

    Django parses multipart into temporary files the first time anything reads
    ``request.POST``, and CSRF checks do, ahead of any view's role check or
    throttle: a viewer's 60 MiB file sent to any endpoint went to disk first.
    Every other endpoint takes JSON (and the sign-in page a plain form).
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "").strip().lower()
        if content_type.startswith("multipart/") and not _is_upload(request):
            refusal = JsonResponse(
                {
                    "detail": "Only a version upload (POST /api/v1/shots/{id}/versions/) takes files;"
                    " send this request as JSON (Content-Type: application/json)."
                },
                status=415,
            )
            # Answered before CommonMiddleware would add it: the client knows the answer is
            # whole without waiting, while its body is still being sent.
            refusal["Content-Length"] = str(len(refusal.content))
            return refusal
        return self.get_response(request)


def _is_upload(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return request.method == "POST" and match.url_name == UPLOAD_URL_NAME

"""Request bodies refused before anything reads them, and files taken only by the upload endpoint.

Django parses multipart into temporary files the first time anything reads
``request.POST``, and CSRF checks do, ahead of any view's role check or
throttle: a viewer's 60 MiB file sent to any endpoint went to disk first.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from reviews.bounded import OutOfBounds, read_integer
from reviews.media.uploads import human_size

# The one endpoint that takes files (reviews/urls.py).
UPLOAD_URL_NAME = "version-list"


class FilesOnlyForUploadsMiddleware:
    """Refuse, unread, a multipart body the endpoint has no use for.

    The API takes JSON (and form-encoded bodies) everywhere but the version
    upload: a multipart body there is a 415. Pages (sign-in, admin) take forms,
    which a client may send as multipart: one larger than Django's limit for a
    form is a 413, and FilesOnlyForUploadsHandler drops any file part in it unwritten.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        content_type = request.META.get("CONTENT_TYPE", "").strip().lower()
        if not content_type.startswith("multipart/") or _is_upload(request):
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return _unread(
                415,
                "Only a version upload (POST /api/v1/shots/{id}/versions/) takes files;"
                " send this request as JSON (Content-Type: application/json).",
            )
        if _declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _unread(
                413,
                f"The form is larger than {human_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},"
                " the limit for a form; pages take no files.",
            )
        return self.get_response(request)


class FilesOnlyForUploadsHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: outside the upload endpoint, a file part is skipped unwritten."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if not _is_upload(self.request):
            raise SkipFile()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _unread(status: int, detail: str) -> JsonResponse:
    refusal = JsonResponse({"detail": detail}, status=status)
    # Answered before CommonMiddleware would add it: the client knows the answer is
    # whole without waiting, while its body is still being sent.
    refusal["Content-Length"] = str(len(refusal.content))
    return refusal


def _declared_length(request: HttpRequest) -> int:
    """The Content-Length, read within bounds; one past any real body counts as too large."""
    try:
        return read_integer(request.META.get("CONTENT_LENGTH") or "0", minimum=0, maximum=2**63)
    except OutOfBounds:
        return 2**63


def _is_upload(request: HttpRequest | None) -> bool:
    if request is None:
        return False
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return request.method == "POST" and match.url_name == UPLOAD_URL_NAME

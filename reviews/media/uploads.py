"""Streaming upload: every file goes to disk chunk by chunk, hashed on the way, cut off past the limit.

Nothing is held whole in memory, so a 2 GiB clip costs the web process a
chunk of RAM, and storing it afterwards is a rename within MEDIA_ROOT.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class BodyIdleTimeoutMiddleware:
    """Bound how long a client may stall while sending a request, so it cannot hold a server thread.

    gunicorn reads request bodies without a time limit, and its worker --timeout
    does not see a thread of a gthread worker waiting on one slow client. A socket
    timeout makes each read give up after REQUEST_BODY_IDLE_TIMEOUT seconds with
    no data (nginx's client_body_timeout, which does the same in production; see
    docs/reliability.md). Outside gunicorn (tests, runserver) there is no socket
    to bound and this does nothing.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        # Under the ASGI server (reviewsvc/asgi.py) the body is read there, with its own idle limit.
        sock = getattr(request, "environ", {}).get("gunicorn.socket")
        if sock is not None and settings.REQUEST_BODY_IDLE_TIMEOUT:
            # gunicorn makes the socket blocking again (no timeout) before its next request.
            sock.settimeout(settings.REQUEST_BODY_IDLE_TIMEOUT)
        return self.get_response(request)


def discard_partial_uploads(request: Any) -> None:
    """Delete the temporary file of an upload that broke off halfway.

    Django closes (and so deletes) the files of finished uploads at the end of
    the request; one whose body stopped arriving is left to the garbage collector.
    """
    for handler in getattr(request, "upload_handlers", ()):
        partial = getattr(handler, "file", None)
        if partial is not None:
            partial.close()


class UploadTooLarge(Exception):
    """The upload passed ``MAX_UPLOAD_BYTES``; the web layer answers 413 with this message."""

    def __init__(self) -> None:
        super().__init__(
            f"The upload is larger than the limit of {human_size(settings.MAX_UPLOAD_BYTES)}; "
            "export a shorter or more compressed clip."
        )


def human_size(size: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


class StreamingUploadHandler(TemporaryFileUploadHandler):
    """Write to a temporary file beside MEDIA_ROOT, hashing, and refuse what is too large."""

    # Django reads the body in chunks of this size (64 KiB by default). gunicorn receives up to
    # 1 MiB at a time and copies what it read ahead on every smaller read, so 64 KiB chunks
    # moved each byte about eight times; 1 MiB chunks (still a flat, small memory cost) doubled
    # the upload rate (bench/README.md).
    chunk_size = 1024 * 1024

    def handle_raw_input(
        self, input_data: Any, META: dict, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        # An honest Content-Length past the limit is refused before a byte is read.
        if content_length > settings.MAX_UPLOAD_BYTES + 1024 * 1024:
            raise UploadTooLarge()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        # MEDIA_ROOT may be a fresh volume: make the folder beside it on first use.
        Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
        super().new_file(*args, **kwargs)
        self._sha256 = hashlib.sha256()
        self._received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        # A lying Content-Length is caught here, by the bytes that really came.
        self._received += len(raw_data)
        if self._received > settings.MAX_UPLOAD_BYTES:
            self.file.close()
            raise UploadTooLarge()
        self._sha256.update(raw_data)
        super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> Any:
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self._sha256.hexdigest()
        return uploaded

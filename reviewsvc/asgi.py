"""The application the server runs: gunicorn with uvicorn workers (reviewsvc/gunicorn_conf.py).

Two halves behind one ASGI entry point (docs/live.md, "Serving under ASGI"):

- Event streams (``/api/v1/.../events/``) go to Django's ASGI handler: asynchronous views on
  the worker's event loop, so two hundred open streams hold no thread.
- Everything else goes to Django's WSGI application on a pool of ``REVIEWSVC_WEB_THREADS``
  threads (a2wsgi). Django's own ASGI handler would run every synchronous view of a process
  on one thread (``sync_to_async(thread_sensitive=True)``) and read a whole request body into
  a spooled file before any view or middleware sees it; the WSGI half keeps the API's
  throughput of gunicorn's threads, streams an upload to disk as the view reads it, and lets
  the request guards refuse a body unread.

Before either, the guard answers as JSON what the old worker class refused
(reviewsvc/server_errors.py): a chunked body (411), and a client that stops sending its body
for ``REVIEWSVC_BODY_IDLE_TIMEOUT`` seconds (the read fails; the API answers 408).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reviewsvc.settings")

django_asgi = get_asgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402 (after Django is set up)
from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from reviewsvc.server_errors import CHUNKED_DETAIL, MAX_REQUEST_HEAD_BYTES  # noqa: E402

django_wsgi = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)

# Members' streams and a review link guest's (reviews/views/guest_live.py).
STREAM_PATH = re.compile(r"^/api/v1/(projects|versions|guest/versions)/\d+/events/$")


async def json_response(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyProgress:
    """The request body as the WSGI half reads it.

    ``receive`` fails like a socket would: TimeoutError after ``idle_timeout`` seconds without
    data, OSError once the client has gone (Django answers 408 or 400, and drops a partial
    upload). ``wrap_send`` closes the connection after an answer given before the body was
    read (a refusal): the unread rest is never read as a next request, nor waited for.
    """

    def __init__(self, receive: Any, idle_timeout: float) -> None:
        self._receive = receive
        self.idle_timeout = idle_timeout
        self.complete = False

    async def receive(self) -> dict[str, Any]:
        try:
            if self.idle_timeout:
                message = await asyncio.wait_for(self._receive(), self.idle_timeout)
            else:
                message = await self._receive()
        except TimeoutError:
            raise TimeoutError(f"the client sent nothing for {self.idle_timeout} s") from None
        if message["type"] == "http.disconnect":
            raise OSError("the client closed the connection before the end of its body")
        if not message.get("more_body", False):
            self.complete = True
        return message

    def wrap_send(self, send: Any) -> Any:
        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and not self.complete:
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        return wrapped


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        # No websockets here: the live pages use server-sent events.
        return
    head = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    head += sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    if head > MAX_REQUEST_HEAD_BYTES:
        # h11 bounds only a head that arrives in pieces; one that came whole is measured here.
        await json_response(
            send,
            431,
            f"The request line and headers are longer than {MAX_REQUEST_HEAD_BYTES} bytes;"
            " shorten the address, or send the data as a JSON body.",
        )
        return
    if STREAM_PATH.match(scope["path"]):
        await django_asgi(scope, receive, send)
        return
    if any(name.lower() == b"transfer-encoding" for name, _ in scope["headers"]):
        # Django reads a body by its Content-Length: a chunked body would look empty and the
        # request would act on nothing. Refuse it before the application runs.
        await json_response(send, 411, CHUNKED_DETAIL)
        return
    body = BodyProgress(receive, settings.REQUEST_BODY_IDLE_TIMEOUT)
    await django_wsgi(scope, body.receive, body.wrap_send(send))

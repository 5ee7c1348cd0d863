"""JSON for the errors the HTTP server answers itself, before Django sees the request.

gunicorn refuses a malformed request (a bad, negative or duplicate
Content-Length, a request line past ``limit_request_line``, headers past their
limits) with an HTML page. The contract promises every error a client can
provoke is JSON, ``{"detail": "..."}``, so the worker class configured in
``reviewsvc/gunicorn_conf.py`` writes that instead, with the same status. ``json_error``
builds the bytes and does not depend on gunicorn, so any other server's worker
can answer the same way.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker
from h11 import RemoteProtocolError
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn_worker import UvicornWorker


def json_error(status: int, reason: str, detail: str) -> bytes:
    """A complete HTTP/1.1 error response whose body is ``{"detail": detail}``; it closes the connection."""
    body = json.dumps({"detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def server_error_detail(status: int, exc: BaseException, *, limit_request_line: int) -> str:
    """What a person should do about an error the server found in the request itself."""
    if isinstance(exc, LimitRequestLine):
        return (
            f"The request line (method, address and query) is longer than {limit_request_line} bytes;"
            " shorten the address, or send the data as a JSON body."
        )
    if isinstance(exc, LimitRequestHeaders):
        return "The request headers are too many or too large; send fewer or shorter headers."
    if status >= 500:
        return "Something went wrong on our side; it has been logged. Try again, and tell an admin if it persists."
    # gunicorn's own words name the part that is wrong ("Invalid HTTP Header: 'CONTENT-LENGTH'").
    words = str(exc)
    words = words if len(words) <= 200 else words[:200] + "…"
    return (
        f"The request could not be read ({words}). Check the request line and headers:"
        " Content-Length must appear at most once, as a whole number of bytes."
    )


class _CapturedSocket:
    """Stands in for the client socket while gunicorn writes its HTML error page, to learn its status."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


CHUNKED_DETAIL = (
    "Chunked request bodies are not accepted: send the body with a Content-Length"
    " (every HTTP client library does when it knows the size)."
)


class JSONErrorWorker(ThreadWorker):
    """gunicorn's threaded worker, answering the errors it finds in requests as JSON.

    gunicorn still decides the status and logs the error; only the page it writes changes.
    """

    def handle_request(self, req: Any, conn: Any) -> bool:
        # WSGI, and so Django, reads a body by its Content-Length: a chunked body would look
        # empty, the request would act on nothing (a DELETE done, a comment "missing its
        # body"), and gunicorn would then read the unread chunks as the next request, answering
        # twice on one connection. Refuse it before the application runs, and close.
        if any(name == "TRANSFER-ENCODING" for name, _ in req.headers):
            self.log.info("refused a chunked request body: %s %s", req.method, req.path)
            try:
                conn.sock.sendall(json_error(411, "Length Required", CHUNKED_DETAIL))
            except OSError:
                self.log.debug("Failed to send error message.")
            return False
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        captured = _CapturedSocket()
        super().handle_error(req, captured, addr, exc)
        # "HTTP/1.1 400 Bad Request\r\n...": the status and reason gunicorn chose.
        _, status, reason = captured.data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        detail = server_error_detail(int(status), exc, limit_request_line=self.cfg.limit_request_line)
        try:
            util.write_nonblock(client, json_error(int(status), reason, detail))
        except OSError:
            self.log.debug("Failed to send error message.")


# The most a request line and its headers may take before the ASGI server refuses the request
# (a 400 of its own, in plain text; docs/live.md).
MAX_REQUEST_HEAD_BYTES = 16 * 1024


class JSONErrorH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, answering the requests it cannot parse as JSON, as the API does.

    uvicorn answers every malformed request (a bad or duplicated Content-Length, a request
    head past ``MAX_REQUEST_HEAD_BYTES``) with a plain-text 400; this keeps h11's status (431
    for a head too large) and says what to fix.
    """

    def handle_events(self) -> None:
        # Remember why h11 refused the request, for send_400_response (uvicorn drops the error).
        next_event = self.conn.next_event

        def recording() -> Any:
            try:
                return next_event()
            except RemoteProtocolError as error:
                self._refusal = error
                raise

        self.conn.next_event = recording
        try:
            super().handle_events()
        finally:
            del self.conn.next_event

    def send_400_response(self, msg: str) -> None:
        error = getattr(self, "_refusal", None)
        status = getattr(error, "error_status_hint", 400) or 400
        if status == 431:
            reason = "Request Header Fields Too Large"
            detail = (
                f"The request line and headers are longer than {MAX_REQUEST_HEAD_BYTES} bytes;"
                " shorten the address, or send the data as a JSON body."
            )
        else:
            reason = "Bad Request"
            words = str(error or msg)[:200]
            detail = (
                f"The request could not be read ({words}). Check the request line and headers:"
                " Content-Length must appear at most once, as a whole number of bytes."
            )
        self.transport.write(json_error(status, reason, detail))
        self.transport.close()


class ASGIWorker(UvicornWorker):
    """The worker every server runs (reviewsvc/gunicorn_conf.py): uvicorn under gunicorn, serving reviewsvc.asgi.

    h11 rather than httptools: it bounds the request head (``MAX_REQUEST_HEAD_BYTES``) and
    needs no compiled parser; Django, not parsing, is where a request's time goes.
    """

    CONFIG_KWARGS = {
        "loop": "asyncio",
        "http": "reviewsvc.server_errors:JSONErrorH11Protocol",
        "lifespan": "on",
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES,
        # The client address is the socket's: Django reads X-Forwarded-For itself, and only as far
        # as REVIEWSVC_TRUSTED_PROXY_COUNT says (reviews/throttling.py). uvicorn would otherwise
        # trust the header from 127.0.0.1, letting any client of `make run` pick its address for
        # the per-address limits.
        "proxy_headers": False,
    }

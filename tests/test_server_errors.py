"""Issue 11 against a real gunicorn (uvicorn workers, reviewsvc.asgi) run with the repository's reviewsvc/gunicorn_conf.py, byte for byte.

What the server refuses before Django sees the request answers JSON with the
contract's shape, and a file sent where none is taken is refused before the
server reads it: the answer comes while most of the body is still unsent.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
from rest_framework.authtoken.models import Token

from harness.processes import Gunicorn
from tests.reliability import record

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path, settings):
    gunicorn = Gunicorn(tmp_path, workers=1, threads=2, media_root=settings.MEDIA_ROOT).start()
    yield gunicorn
    gunicorn.stop()


def exchange(server: Gunicorn, request: bytes, *, body_after: bytes = b"", timeout: float = 10) -> bytes:
    """Send request, then read the whole answer; body_after is sent only if no answer came in 2 s."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as conn:
        conn.sendall(request)
        conn.settimeout(2 if body_after else timeout)
        answer = b""
        try:
            answer = conn.recv(65536)
        except TimeoutError:
            conn.sendall(body_after)
            conn.settimeout(timeout)
        conn.settimeout(timeout)
        while True:
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
    return answer


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)
    }
    return int(status_line.split(" ")[1]), headers, body


@pytest.mark.parametrize(
    ("what", "content_length"),
    [
        ("negative", b"Content-Length: -5\r\n"),
        ("not a number", b"Content-Length: five\r\n"),
        ("duplicated", b"Content-Length: 2\r\nContent-Length: 3\r\n"),
        ("thousands of digits", b"Content-Length: " + b"9" * 5000 + b"\r\n"),
    ],
)
def test_a_bad_content_length_is_a_json_400(server, what, content_length):
    answer = exchange(
        server, b"POST /api/v1/projects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + content_length + b"\r\n{}"
    )
    status, headers, body = parse(answer)
    record("hostile HTTP", what=f"a {what} Content-Length", answer=f"{status}: {body.decode()[:120]}")
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert "Content-Length" in json.loads(body)["detail"]


def test_a_request_head_past_the_limit_is_a_json_431(server):
    # Under gunicorn's threads this was a 414 past 8190 bytes of request line; the ASGI worker
    # bounds the whole head (line and headers) at 16 KiB, and h11 names that 431 (docs/live.md).
    answer = exchange(server, b"GET /api/v1/?q=" + b"a" * 17 * 1024 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, headers, body = parse(answer)
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert "16384 bytes" in json.loads(body)["detail"]


def test_a_request_line_of_six_kib_is_served(server):
    answer = exchange(
        server,
        b"GET /api/v1/?q=" + b"a" * 6 * 1024 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    assert parse(answer)[0] == 200


def multipart_head(path: str, token: str, size: int) -> tuple[bytes, bytes]:
    """The headers and first part of a multipart upload of size bytes, and the rest of its body."""
    boundary = "hostile-boundary"
    opening = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    closing = f"\r\n--{boundary}--\r\n".encode()
    length = len(opening) + size + len(closing)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    first = 1024 * 1024
    return head + opening + b"\x00" * first, b"\x00" * (size - first) + closing


@pytest.mark.parametrize(("where", "status"), [("projects", 415), ("upload", 403)])
def test_a_viewers_20_mib_file_is_refused_before_it_is_read(server, shot, viewer, settings, where, status):
    path = "/api/v1/projects/" if where == "projects" else f"/api/v1/shots/{shot.pk}/versions/"
    token = Token.objects.create(user=viewer).key
    sent, rest = multipart_head(path, token, 20 * 1024 * 1024)

    started = time.monotonic()
    # The rest of the body is sent only if the server waits for it: it should answer before.
    answer = exchange(server, sent, body_after=rest)
    took = time.monotonic() - started

    answered, headers, body = parse(answer)
    record(
        "hostile HTTP",
        what=f"a viewer's 20 MiB multipart POST to {where}",
        answer=f"{answered} in {took:.1f} s",
    )
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["detail"]
    assert took < 2, "the server waited for the body"
    leftovers = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert leftovers == []


@pytest.mark.parametrize(
    "body", [b"zz\r\n", b'12\r\n{"body":"chunked"}\r\n0\r\n\r\n'], ids=["malformed", "well-formed"]
)
def test_a_chunked_body_is_refused_before_the_request_acts(server, director, shot, body):
    from reviews.models import Comment
    from tests.factories import VersionFactory

    comment = Comment.objects.create(version=VersionFactory(shot=shot), author=director, body="keep me")
    token = Token.objects.create(user=director).key
    answer = exchange(
        server,
        f"DELETE /api/v1/comments/{comment.pk}/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n".encode()
        + body,
    )
    status, headers, detail = parse(answer)
    record("hostile HTTP", what="a chunked request body", answer=f"{status}: {detail.decode()[:80]}")
    # A malformed chunk is refused by the HTTP parser itself (400) before the app's 411 goes out.
    assert status == (411 if body.startswith(b"12") else 400)
    assert headers["content-type"] == "application/json"
    assert "Content-Length" in json.loads(detail)["detail"]
    # One answer only, and the request did nothing.
    assert answer.count(b"HTTP/1.1 ") == 1
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_a_client_cannot_choose_its_address_with_x_forwarded_for(server, director, project, shot):
    """With no trusted proxy (REVIEWSVC_TRUSTED_PROXY_COUNT=0) the address is the socket's: wrong
    passphrases sent under ever new X-Forwarded-For addresses still lock the sender out."""
    import re

    import requests

    from reviews.review_links import review_link_create
    from tests.factories import VersionFactory

    _, token = review_link_create(
        project=project, by=director, versions=[VersionFactory(shot=shot)], passphrase="open sesame"
    )
    url = f"{server.url}/r/{token}"
    answers = []
    for attempt in range(7):
        browser = requests.Session()
        form = browser.get(url, timeout=10)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        answer = browser.post(
            url,
            data={"csrfmiddlewaretoken": csrf, "name": "Gina", "passphrase": f"guess {attempt}"},
            headers={"X-Forwarded-For": f"10.77.0.{attempt + 1}", "Referer": url},
            timeout=10,
            allow_redirects=False,
        )
        answers.append(answer.status_code)
    assert answers[-1] == 429, answers

"""Hostile uploads: each is refused, or processed safely, with a message a person can act on,
and leaves no file behind.

Two ways in. Files whose danger is in their bytes go through the API and the
real pipeline (a Celery worker on Redis, ffmpeg). Requests whose danger is in
the HTTP itself (names, a lying Content-Length, a client that stalls) are
written byte for byte to a real gunicorn started here, as an attacker would.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from harness import clips
from harness.media import wait_until_processed
from harness.processes import Gunicorn, wait_for
from reviews.models import Version
from tests.conftest import client_for
from tests.reliability import record

pytestmark = [pytest.mark.slow, pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]


def media_files(root: Path) -> list[str]:
    """Every file under a media root, relative to it."""
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def only_originals_remain(root: Path, versions: list[Version]) -> None:
    """Nothing but the stored originals of these versions (no temporary or half-made file)."""
    expected = sorted(version.file.name for version in versions)
    assert media_files(root) == expected


# --- files that the pipeline must refuse or tame -----------------------------


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, timeout=60)


def _gif_flood(path: Path, side: int) -> Path:
    """A real 16x16 animated GIF whose header claims a side x side logical screen."""
    small = path.with_suffix(".small.gif")
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=5:duration=1", "-f", "gif", str(small))
    data = bytearray(small.read_bytes())
    data[6:10] = struct.pack("<HH", side, side)
    path.write_bytes(data)
    small.unlink()
    return path


def _png_mov_flood(path: Path) -> Path:
    """PNG frames in a MOV whose sample description claims 20000x20000."""
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=5:duration=1"),
        *("-c:v", "png", "-f", "mov", str(path)),
    )
    data = bytearray(path.read_bytes())
    entry = data.find(b"stsd") + 12
    width_at = entry + 4 + 4 + 6 + 2 + 2 + 2 + 4 + 4 + 4
    data[width_at : width_at + 4] = struct.pack(">HH", 20000, 20000)
    path.write_bytes(data)
    return path


def _timestamp_gap(path: Path) -> Path:
    """24 real frames, the last stamped ten hours in: a clip that claims to be ten hours long."""
    _ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24:duration=1"),
        *("-vf", "setpts='if(eq(N,23),36000/TB,PTS)'", "-fps_mode", "passthrough"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
    )
    return path


def _header_claims_hours(path: Path) -> Path:
    """A 2 s clip whose movie and media headers say ten hours."""
    clips.make_video(path, seconds=2, audio=False, faststart=True)
    data = bytearray(path.read_bytes())
    for box in (b"mvhd", b"mdhd"):
        at = data.find(box)
        while at != -1:
            timescale_at = at + 4 + 4 + (8 if data[at + 4] == 0 else 16)
            (timescale,) = struct.unpack(">I", data[timescale_at : timescale_at + 4])
            data[timescale_at + 4 : timescale_at + 8] = struct.pack(">I", timescale * 36000)
            at = data.find(box, at + 1)
    path.write_bytes(data)
    return path


def _playlist_for_passwd(path: Path) -> Path:
    return clips.hls_playlist(path, Path("/etc/passwd"))


def _concat_for_passwd(path: Path) -> Path:
    path.write_text("ffconcat version 1.0\nfile '../../../../../../../../etc/passwd'\n")
    return path


def _playlist_then_video(path: Path) -> Path:
    """A polyglot: an HLS playlist's first lines, then a whole MP4."""
    video = clips.make_video(path.with_suffix(".inner.mp4"), seconds=1, audio=False)
    path.write_bytes(b"#EXTM3U\n#EXTINF:1.0,\n/etc/passwd\n" + video.read_bytes())
    video.unlink()
    return path


def _video_then_html(path: Path) -> Path:
    """A polyglot: a whole MP4, then an HTML page with a script, as a browser might sniff it."""
    clips.make_video(path, seconds=1, audio=False)
    with path.open("ab") as file:
        file.write(b"<html><script>alert(document.cookie)</script></html>" * 20)
    return path


# name: (file name, how to make it, expected state or "refused" in the upload, words the error must hold)
HOSTILE_FILES = {
    "GIF claiming a 20000x20000 screen": ("flood.gif", lambda p: _gif_flood(p, 20000), "refused", "decode"),
    "GIF claiming an 8000x8000 screen": (
        "flood8k.gif",
        lambda p: _gif_flood(p, 8000),
        "failed",
        "megapixels",
    ),
    "PNG-in-MOV claiming 20000x20000": ("flood.mov", _png_mov_flood, "ready", ""),
    "H.264 growing from 320x240 to 4096x3072 after a second": (
        "grows.ts",
        lambda p: clips.growing_picture(p, then=(4096, 3072)),
        "failed",
        "megapixels",
    ),
    "clip with a ten-hour timestamp gap": ("gap.mp4", _timestamp_gap, "failed", "the limit is 2 h"),
    "2 s clip whose headers claim ten hours": ("claims.mp4", _header_claims_hours, "ready", ""),
    "HLS playlist naming /etc/passwd, as .mp4": ("playlist.mp4", _playlist_for_passwd, "refused", "playlist"),
    "ffconcat script naming /etc/passwd, as .mov": ("script.mov", _concat_for_passwd, "refused", "concat"),
    "polyglot: playlist lines, then an MP4": ("polyglot.mp4", _playlist_then_video, "refused", "not a video"),
    "polyglot: an MP4, then an HTML page": ("polyglot2.mp4", _video_then_html, "ready", ""),
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_a_hostile_file_is_refused_or_tamed_and_leaves_nothing_behind(
    celery_worker, name, shot, director, tmp_path, settings
):
    file_name, make, expected, words = HOSTILE_FILES[name]
    path = make(tmp_path / file_name)
    client = client_for(director)

    response = client.post(
        f"/api/v1/shots/{shot.pk}/versions/",
        {"file": SimpleUploadedFile(file_name, path.read_bytes())},
        format="multipart",
    )
    media = Path(settings.MEDIA_ROOT)
    if response.status_code == 400:
        # Not a video at all: refused in the request, before a number or a file is kept.
        error = response.json()["file"][0]
        record("hostile", input=name, answer=f"refused: {error}", http=400)
        assert expected == "refused", error
        assert words in error
        assert str(media) not in error, "no server path in the message"
        assert not Version.objects.exists()
        only_originals_remain(media, [])
        return
    assert response.status_code == 201, response.content
    version, _ = wait_until_processed(client, response.json()["id"])

    state, error = version["processing"]["state"], version["processing"]["error"]
    media_facts = version["media"] or {}
    processed = f"processed as {media_facts.get('width')}x{media_facts.get('height')}, {media_facts.get('duration')} s"
    record("hostile", input=name, answer=f"{state}: {error or processed}", http=response.status_code)
    assert state == expected, error
    stored = Version.objects.get(pk=version["id"])
    if state == "failed":
        assert words in error
        assert "Traceback" not in error
        assert str(media) not in error, "no server path in the message"
        only_originals_remain(media, [stored])
    else:
        assert version["media"]["width"] * version["media"]["height"] <= settings.MAX_CLIP_PIXELS
        assert version["media"]["duration"] <= settings.MAX_CLIP_SECONDS
        published = sorted(path for path in media_files(media) if path.startswith("versions/"))
        assert published == [
            f"{stored.outputs_dir}/{part}" for part in ("filmstrip.jpg", "poster.jpg", "proxy.mp4")
        ], "one finished set of outputs and nothing half-made"
        proxy = (media / stored.outputs_dir / "proxy.mp4").read_bytes()
        assert b"<script>" not in proxy
        assert b"root:" not in proxy


def test_an_empty_file_is_refused_at_once_and_nothing_is_stored(shot, director, settings):
    response = client_for(director).post(
        f"/api/v1/shots/{shot.pk}/versions/",
        {"file": SimpleUploadedFile("empty.mp4", b"")},
        format="multipart",
    )
    record("hostile", input="an empty file", answer=f"{response.status_code}: {response.json()}", http=400)
    assert response.status_code == 400
    assert "empty" in response.json()["file"][0]
    assert not Version.objects.exists()
    assert media_files(Path(settings.MEDIA_ROOT)) == []


# --- hostile HTTP, written to a real gunicorn ----------------------------------

IDLE_TIMEOUT = 2


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker with one thread: a client that holds it blocks everyone else, which shows."""
    from tests.conftest import TEST_QUEUE

    logs = tmp_path_factory.mktemp("gunicorn")
    media = logs / "media"
    server = Gunicorn(
        logs,
        threads=1,
        media_root=media,
        REVIEWSVC_BODY_IDLE_TIMEOUT=str(IDLE_TIMEOUT),
        # Its uploads are never processed: a queue no worker reads, emptied at the end.
        REVIEWSVC_CELERY_QUEUE=f"{TEST_QUEUE}-hostile",
    )
    server.media = media
    with django_db_blocker.unblock():
        server.start()
    yield server
    server.stop()
    from redis import Redis

    from reviewsvc.celery import app

    Redis.from_url(app.conf.broker_url).delete(f"{TEST_QUEUE}-hostile")


def _multipart(file_name: bytes, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + file_name
        + b'"\r\nContent-Type: video/mp4\r\n\r\n'
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _request_head(server: Gunicorn, path: str, token: str, content_type: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Token {token}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def _read_response(conn: socket.socket) -> tuple[int, bytes]:
    """The status and body of the answer (b"" and 0 if the server closed without one)."""
    conn.settimeout(60)
    data = b""
    try:
        while chunk := conn.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    if not data:
        return 0, b""
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def upload_as_alice(shot, director):
    token = Token.objects.create(user=director).key
    return f"/api/v1/shots/{shot.pk}/versions/", token


HOSTILE_NAMES = {
    "path traversal ../../etc/passwd": b"../../etc/passwd",
    "Windows path traversal ..\\..\\boot.ini.mp4": b"..\\..\\boot.ini.mp4",
    "right-to-left override (clip<RLO>4pm.exe)": "clip\u202e4pm.exe".encode(),
    "NUL inside the name": b"clip\x00.sh.mp4",
    "5000-character name": b"a" * 5000 + b".mp4",
    "only dots": b"..",
    "Unicode division slashes and a newline": "..\u2215..\u2215etc\u2215x\n.mp4".encode(),
}


@pytest.mark.parametrize("label", list(HOSTILE_NAMES))
def test_a_hostile_file_name_picks_no_path_and_is_shown_harmlessly(gunicorn, upload_as_alice, label):
    path, token = upload_as_alice
    body, content_type = _multipart(HOSTILE_NAMES[label], b"\x00\x00\x00\x18ftypmp42 not a real clip")
    with socket.create_connection(("127.0.0.1", gunicorn.port)) as conn:
        conn.sendall(_request_head(gunicorn, path, token, content_type, len(body)) + body)
        status, answer = _read_response(conn)

    assert 400 <= status < 500 or status == 201, answer
    stored = list(Version.objects.all())
    if status == 201:
        (version,) = stored
        # The stored name is ours: a random hex name in originals/, whatever was sent.
        assert Path(version.file.name).parent.as_posix() == "originals"
        assert len(Path(version.file.name).stem) == 32
        shown = version.original_filename
        assert len(shown) <= 255
        assert all(character.isprintable() for character in shown), repr(shown)
        assert "/" not in shown
        assert "\\" not in shown
        outcome = f"201: stored as {Path(version.file.name).parent}/<random hex>{Path(version.file.name).suffix}, shown as {shown!r}"
    else:
        outcome = f"{status}: {answer[:160].decode(errors='replace')}"
    record("hostile", input=f"file name: {label}", answer=outcome, http=status)
    # Every file the server wrote is inside its media root, and none of them is temporary.
    assert [name for name in media_files(gunicorn.media) if not name.startswith("originals/")] == []
    for version in stored:
        (gunicorn.media / version.file.name).unlink()


def test_a_content_length_smaller_than_the_body_is_refused_cleanly(gunicorn, upload_as_alice):
    path, token = upload_as_alice
    body, content_type = _multipart(b"clip.mp4", b"\x00" * 4096)
    with socket.create_connection(("127.0.0.1", gunicorn.port)) as conn:
        conn.sendall(_request_head(gunicorn, path, token, content_type, 100) + body)
        status, answer = _read_response(conn)

    record(
        "hostile",
        input="Content-Length smaller than the body",
        answer=f"{status}: {answer[:160].decode()}",
        http=status,
    )
    assert status == 400, answer
    assert b"detail" in answer or b"file" in answer
    assert not Version.objects.exists()
    wait_for(lambda: media_files(gunicorn.media) == [], timeout=10, what="no file left behind")
    assert requests.get(f"{gunicorn.url}/api/v1/", timeout=10).status_code == 200


@pytest.mark.parametrize("whole", [True, False], ids=["whole form", "form cut off"])
def test_a_content_length_larger_than_the_body_stores_only_what_was_sent(gunicorn, upload_as_alice, whole):
    path, token = upload_as_alice
    # An MP4 cut short: the upload's probe accepts it, as it cannot tell it from a video yet.
    content = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 16
    body, content_type = _multipart(b"clip.mp4", content)
    if not whole:
        body = body[: len(body) // 2]
    with socket.create_connection(("127.0.0.1", gunicorn.port)) as conn:
        conn.sendall(_request_head(gunicorn, path, token, content_type, 10 * 1024 * 1024) + body)
        conn.shutdown(socket.SHUT_WR)  # the client has nothing more to send
        status, answer = _read_response(conn)

    label = "Content-Length larger than the body" + ("" if whole else ", form cut off")
    outcome = "connection closed, nothing stored" if not status else answer[:160].decode()
    record("hostile", input=label, answer=f"{status}: {outcome}", http=status)
    # The ASGI server (uvicorn) takes the client's half-close as leaving: the body never reaches
    # its promised length, so the upload is dropped unanswered, whole form or not (under
    # gunicorn's threads the whole form was stored; docs/live.md). Either way nothing is made up.
    assert status in (0, 400), answer
    assert not Version.objects.exists()
    wait_for(lambda: media_files(gunicorn.media) == [], timeout=10, what="no file left behind")
    assert requests.get(f"{gunicorn.url}/api/v1/", timeout=10).status_code == 200


def test_a_client_that_stalls_mid_upload_is_dropped_and_frees_the_worker(gunicorn, upload_as_alice):
    path, token = upload_as_alice
    body, content_type = _multipart(b"clip.mp4", b"\x00" * 1024 * 1024)
    with socket.create_connection(("127.0.0.1", gunicorn.port)) as stalled:
        stalled.sendall(_request_head(gunicorn, path, token, content_type, len(body)) + body[: 64 * 1024])
        # The server's only thread now waits on this client. Someone else asks meanwhile:
        # the answer can only come once the stalled upload has been dropped.
        other = requests.get(f"{gunicorn.url}/api/v1/", timeout=IDLE_TIMEOUT * 15)
        status, answer = _read_response(stalled)

    record(
        "hostile",
        input="an upload that stalls halfway",
        answer=f"{status}: {answer[:160].decode()}",
        http=status,
    )
    assert other.status_code == 200
    assert status == 408, answer
    assert b"stalled" in answer
    assert not Version.objects.exists()
    wait_for(lambda: media_files(gunicorn.media) == [], timeout=10, what="the partial upload removed")

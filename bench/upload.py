"""Upload: a 2 GiB clip streamed through gunicorn's upload endpoint, against writing the same
bytes to the same disk, and how much the web processes' memory grows meanwhile.

The clip is a real H.264 + AAC MP4 of exactly the size asked for (noise, which does not
compress; harness.clips.make_large_video), made once into var/bench/sources: the upload
request probes what it stored and refuses anything that is not a video. The client streams it
from that file (1 MiB blocks behind an exact Content-Length), so neither side holds it, and the
baseline reads the same file the same way. The worker stops taking jobs for this part, so no
clip is converted while the next is measured; each version is deleted after its round.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.stack import MEDIA, SOURCES, Service, mib

BLOCK = 1024 * 1024


def source(size: int) -> Path:
    """A 1080p24 H.264 + AAC clip of exactly `size` bytes, made once and kept in var/bench/sources."""
    from harness import clips

    path = _source_path(size)
    if not path.exists():
        partial = path.with_suffix(".part.mp4")
        clips.make_large_video(partial, size=size)
        partial.rename(path)
    return path


def _source_path(size: int) -> Path:
    return SOURCES / f"noise-{size}-bytes-1080p24.mp4"


def _blocks(clip: Path) -> Iterator[bytes]:
    with clip.open("rb") as handle:
        while block := handle.read(BLOCK):
            yield block


def write_to_disk(clip: Path) -> float:
    """The baseline: the clip's bytes, read as the client reads them, written to a file in the
    uploads' folder, until they are on disk.

    Without the fsync this measures the page cache, which here took anything from 0.4 to 5 s
    for 2 GiB depending on how much the kernel was flushing at the time.
    """
    folder = MEDIA / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "baseline.bin"
    started = time.monotonic()
    with path.open("wb") as handle:
        for chunk in _blocks(clip):
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    elapsed = time.monotonic() - started
    path.unlink()
    return elapsed


def stream_upload(*, port: int, shot_id: int, token: str, clip: Path) -> tuple[float, float, dict]:
    """POST `clip` as a new version of the shot; the seconds from the first byte sent to the
    201, the seconds from the last byte sent to it (the server's probe of the stored file, its
    rows and the enqueue), and the version's JSON. RuntimeError on any other status."""
    boundary = f"bench-{secrets.token_hex(12)}"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="note"\r\n\r\nupload benchmark\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    started = time.monotonic()
    connection.putrequest("POST", f"/api/v1/shots/{shot_id}/versions/")
    connection.putheader("Authorization", f"Token {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + clip.stat().st_size + len(tail)))
    connection.endheaders()
    connection.send(head)
    for chunk in _blocks(clip):
        connection.send(chunk)
    connection.send(tail)
    sent = time.monotonic()
    response = connection.getresponse()
    body = response.read()
    finished = time.monotonic()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"the upload got HTTP {response.status}: {body[:500]!r}")
    return finished - started, finished - sent, json.loads(body)


def seed() -> tuple[int, str]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from reviews import services

    alice = get_user_model().objects.create_user("upload-alice")
    project = services.project_create(created_by=alice, name="Upload bench", fps=24)
    shot = services.shot_create(project=project, code="SH010", title="Big")
    return shot.pk, Token.objects.create(user=alice).key


@contextmanager
def worker_paused(worker: Service) -> Iterator[None]:
    """The worker takes no job meanwhile: converting a 2 GiB clip would take both cores from the
    rounds that follow. Jobs left for deleted versions find no row once it takes them again."""
    from django.conf import settings

    from reviewsvc.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    destination = [f"{worker.process.name}@{socket.gethostname()}"]
    replies = app.control.cancel_consumer(queue, destination=destination, reply=True, timeout=10)
    if not replies:
        raise RuntimeError(f"the worker {destination[0]} did not answer cancel_consumer")
    try:
        yield
    finally:
        app.control.add_consumer(queue, destination=destination, reply=True, timeout=10)


def run(
    web: Service, worker: Service, *, port: int, size: int, repeats: int, log: Callable[[str], None]
) -> dict:
    path = _source_path(size)
    # The clip (unless kept from an earlier run), the stored upload and the baseline's copy.
    needed = (3 if path.exists() else 4) * size
    free = shutil.disk_usage(MEDIA).free
    if free < needed:
        log(f"  skipped: {mib(free):.0f} MiB free on the media disk, {mib(needed):.0f} MiB needed")
        return {"skipped": f"only {free} bytes free"}
    if not path.exists():
        log(f"  making a {mib(size):.0f} MiB 1080p24 clip of noise in {SOURCES} (once)")
    made = time.monotonic()
    clip = source(size)
    if time.monotonic() - made > 1:
        log(f"  made in {time.monotonic() - made:.1f} s")
    shot_id, token = seed()

    runs = []
    with worker_paused(worker):
        for repeat in range(repeats):
            # Let each writer start with nothing left to flush, and alternate who goes first.
            os.sync()
            if repeat % 2:
                upload = _measured_upload(web, port, shot_id, token, clip)
                os.sync()
                write_seconds = write_to_disk(clip)
            else:
                write_seconds = write_to_disk(clip)
                os.sync()
                upload = _measured_upload(web, port, shot_id, token, clip)
            runs.append((upload, write_seconds))
            _log_round(log, repeat, size, upload, write_seconds)
    os.sync()

    response_seconds = statistics.median(upload.response_seconds for upload, _ in runs)
    on_disk_seconds = statistics.median(upload.on_disk_seconds for upload, _ in runs)
    write_seconds = statistics.median(write for _, write in runs)
    return {
        "bytes": size,
        "repeats": repeats,
        "upload_mib_per_second": round(mib(size) / response_seconds, 1),
        "upload_on_disk_mib_per_second": round(mib(size) / on_disk_seconds, 1),
        "disk_write_mib_per_second": round(mib(size) / write_seconds, 1),
        "ratio": round(statistics.median(upload.on_disk_seconds / write for upload, write in runs), 2),
        "after_body_seconds": round(statistics.median(upload.after_body_seconds for upload, _ in runs), 2),
        "web_peak_rss_growth_mib": round(mib(max(upload.rss_growth for upload, _ in runs)), 1),
    }


def _log_round(
    log: Callable[[str], None], repeat: int, size: int, upload: Upload, write_seconds: float
) -> None:
    log(
        f"  {mib(size):.0f} MiB #{repeat + 1}: upload {mib(size) / upload.response_seconds:6.1f} MiB/s"
        f" to its response ({upload.after_body_seconds:.2f} s after the last byte),"
        f" {mib(size) / upload.on_disk_seconds:6.1f} MiB/s on disk;"
        f" write + fsync {mib(size) / write_seconds:6.1f} MiB/s;"
        f" ratio {upload.on_disk_seconds / write_seconds:.2f};"
        f" web processes' peak RSS growth {mib(upload.rss_growth):.1f} MiB (from {mib(upload.rss_before):.1f})"
    )


@dataclass
class Upload:
    response_seconds: float  # first byte sent → 201 received
    on_disk_seconds: float  # … → the stored original fsynced, as the baseline is
    after_body_seconds: float  # last byte sent → 201: the probe of the stored file, rows, enqueue
    rss_growth: int  # peak RSS of the web processes during the upload, less their RSS before
    rss_before: int


def _measured_upload(web: Service, port: int, shot_id: int, token: str, clip: Path) -> Upload:
    from reviews import services
    from reviews.models import Version

    web.sampler.reset()
    before = web.sampler.current()
    started = time.monotonic()
    response_seconds, after_body_seconds, body = stream_upload(
        port=port, shot_id=shot_id, token=token, clip=clip
    )
    growth = web.sampler.peak - before
    version = Version.objects.get(pk=body["id"])
    with open(version.file.path, "rb") as stored:
        os.fsync(stored.fileno())
    on_disk_seconds = time.monotonic() - started
    size = clip.stat().st_size
    if version.size_bytes != size or os.path.getsize(version.file.path) != size:
        raise RuntimeError(f"the server stored {version.size_bytes} bytes of {size}")
    # Its original goes once the deletion commits: two files of `size` at most are on disk.
    services.version_delete(version=version)
    return Upload(response_seconds, on_disk_seconds, after_body_seconds, growth, before)

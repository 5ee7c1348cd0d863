"""Upload: a 2 GiB body streamed through gunicorn's upload endpoint, against writing the same
bytes to the same disk, and how much the web processes' memory grows meanwhile.

The client streams too (a generator of 1 MiB blocks behind an exact Content-Length), so neither
side holds the file. The bytes are not a video: the worker fails the version at its probe,
which is after the upload and outside what is measured.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bench.stack import MEDIA, Service, mib

BLOCK = 1024 * 1024


def _blocks(size: int, block: bytes) -> Iterator[bytes]:
    whole, rest = divmod(size, len(block))
    for _ in range(whole):
        yield block
    if rest:
        yield block[:rest]


def write_to_disk(size: int, block: bytes) -> float:
    """The baseline: the same bytes written to a file in the uploads' folder, until they are on disk.

    Without the fsync this measures the page cache, which here took anything from 0.4 to 5 s
    for 2 GiB depending on how much the kernel was flushing at the time.
    """
    folder = MEDIA / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "baseline.bin"
    started = time.monotonic()
    with path.open("wb") as handle:
        for chunk in _blocks(size, block):
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    elapsed = time.monotonic() - started
    path.unlink()
    return elapsed


def stream_upload(*, port: int, shot_id: int, token: str, size: int, block: bytes) -> tuple[float, dict]:
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
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.endheaders()
    connection.send(head)
    for chunk in _blocks(size, block):
        connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.monotonic() - started
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"the upload got HTTP {response.status}: {body[:500]!r}")
    return elapsed, json.loads(body)


def seed() -> tuple[int, str]:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from reviews import services

    alice = get_user_model().objects.create_user("upload-alice")
    project = services.project_create(created_by=alice, name="Upload bench", fps=24)
    shot = services.shot_create(project=project, code="SH010", title="Big")
    return shot.pk, Token.objects.create(user=alice).key


def run(web: Service, *, port: int, size: int, repeats: int, log: Callable[[str], None]) -> dict:
    free = shutil.disk_usage(MEDIA).free
    if free < 3 * size:
        log(f"  skipped: {mib(free):.0f} MiB free on the media disk, {mib(3 * size):.0f} MiB needed")
        return {"skipped": f"only {free} bytes free"}
    shot_id, token = seed()
    block = os.urandom(BLOCK)

    runs = []
    for repeat in range(repeats):
        # Let each writer start with nothing left to flush, and alternate who goes first.
        os.sync()
        if repeat % 2:
            upload = _measured_upload(web, port, shot_id, token, size, block)
            os.sync()
            write_seconds = write_to_disk(size, block)
        else:
            write_seconds = write_to_disk(size, block)
            os.sync()
            upload = _measured_upload(web, port, shot_id, token, size, block)
        runs.append((upload, write_seconds))
        log(
            f"  {mib(size):.0f} MiB #{repeat + 1}: upload {mib(size) / upload.response_seconds:6.1f} MiB/s"
            f" to its response, {mib(size) / upload.on_disk_seconds:6.1f} MiB/s on disk;"
            f" write + fsync {mib(size) / write_seconds:6.1f} MiB/s;"
            f" ratio {upload.on_disk_seconds / write_seconds:.2f};"
            f" web processes' peak RSS growth {mib(upload.rss_growth):.1f} MiB (from {mib(upload.rss_before):.1f})"
        )
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
        "web_peak_rss_growth_mib": round(mib(max(upload.rss_growth for upload, _ in runs)), 1),
    }


@dataclass
class Upload:
    response_seconds: float  # first byte sent → 201 received
    on_disk_seconds: float  # … → the stored original fsynced, as the baseline is
    rss_growth: int  # peak RSS of the web processes during the upload, less their RSS before
    rss_before: int


def _measured_upload(web: Service, port: int, shot_id: int, token: str, size: int, block: bytes) -> Upload:
    from reviews import services
    from reviews.models import Version

    web.sampler.reset()
    before = web.sampler.current()
    started = time.monotonic()
    response_seconds, body = stream_upload(port=port, shot_id=shot_id, token=token, size=size, block=block)
    growth = web.sampler.peak - before
    version = Version.objects.get(pk=body["id"])
    with open(version.file.path, "rb") as stored:
        os.fsync(stored.fileno())
    on_disk_seconds = time.monotonic() - started
    if version.size_bytes != size or os.path.getsize(version.file.path) != size:
        raise RuntimeError(f"the server stored {version.size_bytes} bytes of {size}")
    # Its original goes once the deletion commits: two files of `size` at most are on disk.
    services.version_delete(version=version)
    return Upload(response_seconds, on_disk_seconds, growth, before)

"""The pipeline seen from outside: upload a clip through the API, wait for it, and probe what came out."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

# Both states a version stops in; as strings, so this module imports without Django.
DONE_STATES = ("ready", "failed")


def ffprobe_json(path: Path, *args: str) -> dict[str, Any]:
    """ffprobe's JSON about path; args choose what it shows (-show_streams, -count_frames...)."""
    command = ["ffprobe", "-v", "error", "-of", "json", *args, str(path)]
    return json.loads(subprocess.run(command, capture_output=True, check=True, text=True, timeout=120).stdout)


def upload(client: Any, shot_id: int, path: Path, **fields: str) -> dict[str, Any]:
    """POST path as a new version of the shot with a DRF test client; the new version's body."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/v1/shots/{shot_id}/versions/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), **fields},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


def wait_until_processed(
    client: Any, version_id: int, *, timeout: float = 90
) -> tuple[dict[str, Any], list[int]]:
    """Poll the version as a client would until it is ready or failed: its body, and every progress seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/versions/{version_id}/").json()
        seen.append(body["processing"]["progress"])
        if body["processing"]["state"] in DONE_STATES:
            return body, seen
        if time.monotonic() > deadline:
            raise AssertionError(f"version {version_id} still {body['processing']} after {timeout} s")
        time.sleep(0.1)


def upload_and_wait(client: Any, shot_id: int, path: Path, **fields: str) -> tuple[dict[str, Any], list[int]]:
    """Upload path and wait until the worker is done with it."""
    return wait_until_processed(client, upload(client, shot_id, path, **fields)["id"])

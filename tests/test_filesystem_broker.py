"""The embedded broker (make run's default) never hands a reader a message still being written."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kombu import Connection

from reviewsvc.filesystem_broker import Transport

PUBLISHERS = 4
PER_PUBLISHER = 15
# Big enough that writing one takes a while: kombu's own transport lets a reader in meanwhile.
BODY = "x" * (4 * 1024 * 1024)


def _options(folder: Path) -> dict[str, object]:
    return {
        "data_folder_in": str(folder / "data"),
        "data_folder_out": str(folder / "data"),
        "control_folder": str(folder / "control"),
        "polling_interval": 0.01,
    }


def _connection(folder: Path, transport: object = Transport) -> Connection:
    return Connection("filesystem://localhost//", transport=transport, transport_options=_options(folder))


def _publish(folder: str, publisher: int, transport_path: str) -> None:
    with Connection(
        "filesystem://localhost//", transport=transport_path, transport_options=_options(Path(folder))
    ) as connection:
        queue = connection.SimpleQueue("stress")
        for number in range(PER_PUBLISHER):
            queue.put({"publisher": publisher, "number": number, "body": BODY})
        queue.close()


def _stress(folder: Path, transport_path: str) -> set[tuple[int, int]]:
    for sub in ("data", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("fork")
    publishers = [
        context.Process(target=_publish, args=(str(folder), n, transport_path)) for n in range(PUBLISHERS)
    ]
    seen: set[tuple[int, int]] = set()
    with _connection(folder, transport_path) as connection:
        queue = connection.SimpleQueue("stress")
        for process in publishers:
            process.start()
        deadline = time.monotonic() + 60
        while len(seen) < PUBLISHERS * PER_PUBLISHER and time.monotonic() < deadline:
            try:
                message = queue.get(timeout=0.5)
            except queue.Empty:
                continue
            payload = message.payload
            assert payload["body"] == BODY, "a message arrived cut short"
            seen.add((payload["publisher"], payload["number"]))
            message.ack()
        queue.close()
    for process in publishers:
        process.join(timeout=30)
        assert process.exitcode == 0
    return seen


def test_a_reader_never_sees_a_partly_written_message_from_concurrent_publishers(tmp_path: Path) -> None:
    seen = _stress(tmp_path, "reviewsvc.filesystem_broker:Transport")
    assert seen == {(p, n) for p in range(PUBLISHERS) for n in range(PER_PUBLISHER)}
    # Nothing is left behind: no half-written temporary file, no message.
    assert [name for name in os.listdir(tmp_path / "data") if not name.startswith(".claimed")] == []


def test_a_reader_leaves_an_unreadable_message_file_for_a_later_poll(tmp_path: Path) -> None:
    for sub in ("data", "control"):
        (tmp_path / sub).mkdir()
    # What another publisher's half-written file looks like: the right name, no JSON yet.
    stray = tmp_path / "data" / "1_00000000-0000-0000-0000-000000000000.later.msg"
    stray.write_bytes(b"")
    with _connection(tmp_path) as connection:
        queue = connection.SimpleQueue("later")
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.2)
        assert stray.exists()
        queue.put({"whole": True})
        assert queue.get(timeout=2).payload == {"whole": True}
        queue.close()


@pytest.mark.parametrize("url", [None, "filesystem://localhost//"])
def test_the_embedded_default_broker_uses_the_whole_message_transport(url: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    if url:
        env["CELERY_BROKER_URL"] = url
    code = (
        "import django; django.setup(); from reviewsvc.celery import app; "
        "print(type(app.connection_for_write().transport).__module__, "
        "type(app.connection_for_read().transport).__module__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == ["reviewsvc.filesystem_broker", "reviewsvc.filesystem_broker"]

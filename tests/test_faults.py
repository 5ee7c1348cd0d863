"""Faults injected into the real stack: a Celery worker killed mid-transcode, Redis restarted
with jobs queued, PostgreSQL connections dropped under load.

Workers are real `celery worker --pool prefork` processes against the test database
and a private redis-server started here (so a restart or a short visibility
timeout touches no one else's jobs). No fault may lose a job, leave a partial
file, or turn into anything but a clean JSON answer.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.core.files import File
from django.db import connection
from kombu import Connection
from rest_framework.authtoken.models import Token

from harness import clips
from harness.media import ffprobe_json
from harness.processes import CeleryWorker, Gunicorn, PrivateRedis, wait_for
from reviews.models import Comment, ProcessingState, Version
from tests.factories import VersionFactory
from tests.reliability import record

pytestmark = [pytest.mark.slow, pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """Long enough to render that a worker can be killed halfway (about 5 s here)."""
    return clips.make_video(
        tmp_path_factory.mktemp("faults") / "long.mp4", seconds=20, width=1920, height=1080, audio=False
    )


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    return clips.make_video(tmp_path_factory.mktemp("faults") / "short.mp4", seconds=1, audio=False)


@pytest.fixture
def redis_server(request, tmp_path):
    # Tests ask for a Redis that keeps nothing on disk with @pytest.mark.parametrize("redis_server", ...).
    server = PrivateRedis(tmp_path, persistent=getattr(request, "param", True)).start()
    yield server
    server.stop()


@pytest.fixture
def workers(tmp_path, settings, redis_server):
    """Starts Celery workers on the private Redis and a queue of this test; stops them all at the end."""
    started: list[CeleryWorker] = []

    def start(name: str = "worker", **env: str) -> CeleryWorker:
        worker = CeleryWorker(
            tmp_path,
            name=name,
            media_root=Path(settings.MEDIA_ROOT),
            CELERY_BROKER_URL=redis_server.url,
            REVIEWSVC_CELERY_QUEUE="faults",
            **env,
        )
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


def queue_version(redis_server, shot, clip: Path) -> Version:
    """A stored upload whose processing job is put on the private broker's queue."""
    from reviews.tasks import process_version

    with clip.open("rb") as source:
        version = VersionFactory(
            shot=shot, file=File(source, name=clip.name), number=Version.objects.count() + 1
        )
    with Connection(redis_server.url) as broker:
        process_version.apply_async((version.pk,), connection=broker, queue="faults")
    return version


def state_of(version: Version) -> Version:
    return Version.objects.get(pk=version.pk)


def wait_until_rendering(version: Version) -> None:
    """Until ffmpeg has reported progress on the version and is well short of done."""
    wait_for(
        lambda: 2 < state_of(version).processing_progress < 80,
        timeout=120,
        every=0.05,
        what=f"rendering of version {version.pk} under way",
    )


def wait_until_done(version: Version, timeout: float = 180) -> Version:
    return wait_for(
        lambda: (
            (fresh := state_of(version)).processing_state in (ProcessingState.READY, ProcessingState.FAILED)
            and fresh
        ),
        timeout=timeout,
        what=f"version {version.pk} finished",
    )


def assert_one_clean_set_of_outputs(version: Version, media_root: Path) -> None:
    assert version.processing_state == ProcessingState.READY, version.processing_error
    home = media_root / "versions" / str(version.pk)
    assert [path.name for path in home.iterdir()] == [Path(version.outputs_dir).name], (
        "no stale partial files"
    )
    outputs = home / Path(version.outputs_dir).name
    assert sorted(path.name for path in outputs.iterdir()) == ["filmstrip.jpg", "poster.jpg", "proxy.mp4"]
    probed = ffprobe_json(
        outputs / "proxy.mp4",
        *("-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames,width,height"),
    )
    stream = probed["streams"][0]
    assert int(stream["nb_read_frames"]) == version.frame_count
    assert (stream["width"], stream["height"]) == (1280, 720)


def test_killing_the_pool_child_mid_transcode_loses_nothing(workers, redis_server, long_clip, shot, settings):
    worker = workers()
    version = queue_version(redis_server, shot, long_clip)
    wait_until_rendering(version)
    run = state_of(version).processing_run

    os.kill(worker.pool_child(), signal.SIGKILL)
    finished = wait_until_done(version)

    record(
        "fault",
        fault="SIGKILL of the prefork pool child in the middle of a transcode",
        outcome=f"{finished.processing_state} after {finished.processing_attempts} render attempts; "
        "the parent requeued the job at once (task_reject_on_worker_lost)",
    )
    assert finished.processing_run == run, "the same run was redelivered, not a new upload"
    assert finished.processing_attempts == 2
    assert_one_clean_set_of_outputs(finished, Path(settings.MEDIA_ROOT))


@pytest.mark.parametrize(
    "recovery",
    ["a new worker's start-up sweep", "the broker's visibility timeout"],
)
def test_killing_the_whole_worker_mid_transcode_and_starting_another_loses_nothing(
    workers, redis_server, long_clip, shot, settings, recovery
):
    sweep = recovery.startswith("a new worker")
    first = workers("first")
    version = queue_version(redis_server, shot, long_clip)
    wait_until_rendering(version)

    # As a crash or the OOM killer of a container would: the main process, its pool child
    # and ffmpeg, all at once, with no chance to give the job back.
    os.killpg(first.pid, signal.SIGKILL)
    first.process.wait(timeout=30)
    assert state_of(version).processing_state == ProcessingState.PROCESSING
    second = workers(
        "second",
        REVIEWSVC_RECOVER_ON_WORKER_START=str(sweep),
        # Production keeps it above the longest transcode; here it shows what happens after it.
        **({} if sweep else {"REVIEWSVC_BROKER_VISIBILITY_TIMEOUT": "3"}),
    )
    finished = wait_until_done(version)

    requeued = "queuing it again" in second.output()
    record(
        "fault",
        fault=f"SIGKILL of the whole worker (main process, pool child, ffmpeg) mid-transcode; recovered by {recovery}",
        outcome=f"{finished.processing_state} after {finished.processing_attempts} render attempts"
        + ("; the new worker found the orphaned version and queued it again" if requeued else ""),
    )
    assert requeued is sweep
    assert_one_clean_set_of_outputs(finished, Path(settings.MEDIA_ROOT))


@pytest.mark.parametrize(
    "redis_server", [True, False], ids=["append-only log", "nothing on disk"], indirect=True
)
def test_a_redis_restart_loses_no_queued_or_running_job(
    workers, redis_server, long_clip, short_clip, shot, settings
):
    # Every second, the workers compare the queued versions with the jobs Redis holds.
    worker = workers(REVIEWSVC_RECONCILE_SECONDS="1")
    running = queue_version(redis_server, shot, long_clip)
    waiting = [queue_version(redis_server, shot, short_clip) for _ in range(3)]
    wait_until_rendering(running)

    redis_server.restart()  # SIGTERM, then the same port and data folder
    done = [wait_until_done(version) for version in [running, *waiting]]

    states = Counter(version.processing_state for version in done)
    kept = (
        "append-only log on" if redis_server.persistent else "keeping nothing on disk, so its queue is lost"
    )
    record(
        "fault",
        fault=f"Redis restarted ({kept}) with one job running and three queued",
        outcome=", ".join(f"{count} {state}" for state, count in states.items())
        + f"; the worker reconnected by itself: {worker.alive()}"
        + (
            "" if redis_server.persistent else "; the lost jobs were queued again by the workers' reconciling"
        ),
    )
    assert states == {ProcessingState.READY: 4}
    assert worker.alive()
    assert all(version.processing_attempts == 1 for version in done), "each clip rendered once"


# --- PostgreSQL connections dropped under load -----------------------------------


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_other_backends(spare: set[int]) -> int:
    """Drop every connection to the test database but the test's own, as a failover would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT pid = ANY(%s)",
            [list(spare)],
        )
        return cursor.fetchone()[0]


def test_dropped_database_connections_fail_cleanly_and_leave_no_half_written_rows(
    tmp_path, shot, director, mentor, settings
):
    version = VersionFactory(shot=shot, number=1)
    token = Token.objects.create(user=mentor).key
    server = Gunicorn(tmp_path, workers=2, threads=4, DATABASE_CONN_MAX_AGE="60").start()
    session_headers = {"Authorization": f"Token {token}"}
    url = f"{server.url}/api/v1/versions/{version.pk}/comments/"
    stop = threading.Event()
    terminated = 0

    spare = {backend_pid()}  # this test's own connection, which checks the rows afterwards

    def storm() -> None:
        nonlocal terminated
        try:
            while not stop.is_set():
                terminated += terminate_other_backends(spare)
                stop.wait(0.4)
        finally:
            connection.close()

    def one_request(index: int) -> tuple[int, dict | None, str]:
        if index % 3 == 2:
            response = requests.get(url, headers=session_headers, timeout=60)
        else:
            response = requests.post(
                url,
                json={"body": f"@alice note {index}", "frame": index % 40},
                headers=session_headers,
                timeout=60,
            )
        return response.status_code, response.json(), response.headers.get("Content-Type", "")

    try:
        killer = threading.Thread(target=storm, daemon=True)
        killer.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(one_request, range(300)))
        stop.set()
        killer.join()
        after = [one_request(index) for index in range(1000, 1010)]
    finally:
        stop.set()
        server.stop()

    statuses = Counter(status for status, _, _ in answers)
    record(
        "fault",
        fault=f"pg_terminate_backend on every connection to the database, {terminated} connections dropped "
        "during 300 requests (2 gunicorn workers x 4 threads)",
        outcome=", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
        + "; the 10 requests after it: "
        + ", ".join(sorted({str(status) for status, _, _ in after})),
    )
    assert set(statuses) <= {200, 201, 503}, statuses
    for status, body, content_type in answers:
        assert content_type.startswith("application/json")
        if status == 503:
            assert "try again" in body["detail"]
    assert {status for status, _, _ in after} <= {200, 201}
    created = {body["id"] for status, body, _ in answers if status == 201}
    stored = Comment.objects.filter(version=version).prefetch_related("mentions")
    assert created <= {comment.pk for comment in stored}, "every comment answered with 201 is stored"
    # A comment is written with its mentions in one transaction: never one without the other.
    assert all([user.username for user in comment.mentions.all()] == ["alice"] for comment in stored)

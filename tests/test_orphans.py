"""No request, success or failure, leaves a file that no row owns; the sweep removes what a crash left.

Each case counts what is under MEDIA_ROOT (the upload folder lives there too) before and after.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from harness import clips, media
from harness.processes import Gunicorn, wait_for
from reviews.media import ffmpeg, ffprobe, pipeline, storage, sweep
from reviews.models import ProcessingState, Version
from tests.conftest import client_for
from tests.factories import VersionFactory

# The folders of the layout itself: present or not, they hold nobody's data.
_LAYOUT = {"originals", "versions", "tmp"}
HOUR = 3600


def media_files(settings) -> set[str]:
    """Every file and folder under MEDIA_ROOT (and so under the upload folder), relative to it."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {str(path.relative_to(root)) for path in root.rglob("*")} - _LAYOUT


# What a refused upload sends: the bytes never reach ffmpeg.
CLIP = b"\x00\x00\x00\x18ftypmp42" + b"frames" * 1000


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory) -> Path:
    """A real clip, for the cases a worker processes."""
    return clips.make_video(tmp_path_factory.mktemp("clip") / "take.mp4", seconds=2)


def _upload(client, shot_id: int, data: bytes = CLIP, **fields):
    return client.post(
        f"/api/v1/shots/{shot_id}/versions/",
        {"file": SimpleUploadedFile("take.mp4", data, content_type="video/mp4"), **fields},
        format="multipart",
    )


# --- uploads refused -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "generation",
    [
        '{"seed": NaN}',
        '{"cfg": Infinity}',
        '{"strength": 1e999}',
        '{"prompt": "\\ud800"}',
        '{"\\udfff": "a lone low surrogate as a key"}',
    ],
)
def test_it_removes_the_stored_original_of_an_upload_the_database_refuses(
    shot, director, settings, generation
):
    before = media_files(settings)
    response = _upload(client_for(director), shot.pk, generation=generation)
    assert response.status_code == 400, response.content
    assert media_files(settings) == before
    assert not Version.objects.exists()


def test_it_removes_the_stored_original_of_an_upload_that_conflicts_with_a_row(shot, director, settings):
    # A version numbered past the shot's counter, as a racing writer could leave: the upload's
    # number collides with it at the unique constraint.
    taken = VersionFactory(shot=shot, number=1)
    type(shot).objects.filter(pk=shot.pk).update(last_version_number=0)
    before = media_files(settings)
    response = _upload(client_for(director), shot.pk)
    assert response.status_code == 400, response.content
    assert media_files(settings) == before
    assert list(Version.objects.all()) == [taken]


@pytest.mark.parametrize(
    "fields",
    [
        {"generation": "[1, 2]"},
        {"generation": '{"prompt": "' + "x" * 70_000 + '"}'},
        {"generation": '{"prompt": "\\u0000"}'},
        {"generation": "not json"},
        {"generation": '{"seed": 1' + "0" * 5000 + "}"},
    ],
)
def test_it_keeps_nothing_of_an_upload_refused_by_validation(shot, director, settings, fields):
    before = media_files(settings)
    response = _upload(client_for(director), shot.pk, **fields)
    assert response.status_code == 400, response.content
    assert media_files(settings) == before


@pytest.mark.parametrize("file", ["not a file", b""])
def test_it_keeps_nothing_of_an_upload_whose_file_field_is_wrong(shot, director, settings, file):
    data = SimpleUploadedFile("empty.mp4", file) if isinstance(file, bytes) else file
    before = media_files(settings)
    response = client_for(director).post(
        f"/api/v1/shots/{shot.pk}/versions/", {"file": data}, format="multipart"
    )
    assert response.status_code == 400, response.content
    assert media_files(settings) == before


def test_it_keeps_nothing_of_an_upload_by_a_viewer_or_to_a_missing_shot(shot, viewer, director, settings):
    before = media_files(settings)
    assert _upload(client_for(viewer), shot.pk).status_code == 403
    assert _upload(client_for(director), shot.pk + 1000).status_code == 404
    assert media_files(settings) == before


# --- through a real server: a body cut off halfway ----------------------------------------


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["dropped", "stalled"])
def test_it_keeps_nothing_of_an_upload_whose_body_stops_halfway(tmp_path, shot, director, settings, how):
    token = Token.objects.create(user=director)
    server = Gunicorn(tmp_path, workers=1, threads=2, REVIEWSVC_BODY_IDLE_TIMEOUT="1").start()
    try:
        before = media_files(settings)
        boundary = "cutoff"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="take.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        sent = head + b"\x00" * (3 * 1024 * 1024)
        request = (
            f"POST /api/v1/shots/{shot.pk}/versions/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Token {token.key}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(sent) + 10 * 1024 * 1024}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as client:
            client.sendall(request + sent)
            # Until the body's first megabytes reached the temporary upload file.
            wait_for(lambda: media_files(settings) - before, timeout=20, what="the upload being stored")
            if how == "stalled":
                assert b" 408 " in client.recv(4096).split(b"\r\n")[0]
        wait_for(
            lambda: media_files(settings) == before,
            timeout=20,
            what=f"the temporary file of a {how} upload going",
        )
    finally:
        server.stop()


# --- deletes, and renders that outlive them -----------------------------------------------


def _wait_for_state(version_id: int, states: set[str], timeout: float = 90) -> Version:
    return wait_for(
        lambda: Version.objects.filter(pk=version_id, processing_state__in=states).first(),
        timeout=timeout,
        what=f"version {version_id} reaching {states}",
    )


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["project", "shot", "version"])
def test_deleting_a_ready_version_leaves_no_file(
    celery_worker, project, shot, director, settings, clip_path, what
):
    before = media_files(settings)
    client = client_for(director)
    version_id = media.upload(client, shot.pk, clip_path)["id"]
    assert media.wait_until_processed(client, version_id)[0]["processing"]["state"] == ProcessingState.READY
    assert any(name.startswith(f"versions/{version_id}/") for name in media_files(settings))
    url = {
        "project": f"/api/v1/projects/{project.pk}/",
        "shot": f"/api/v1/shots/{shot.pk}/",
        "version": f"/api/v1/versions/{version_id}/",
    }[what]
    assert client.delete(url).status_code == 204
    assert media_files(settings) == before


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_a_render_that_outlives_its_version_leaves_no_folder(shot, director, settings, clip_path):
    before = media_files(settings)
    client = client_for(director)
    # Made without an upload, so that no worker of this test run picks it up.
    version_id = VersionFactory(shot=shot, file=ContentFile(clip_path.read_bytes(), name="take.mp4")).pk
    run = pipeline.claim(version_id)
    assert pipeline.probe(version_id, run) is not None
    assert pipeline.start_render(version_id, run)
    # The render has loaded its row when the delete commits and removes the version's files;
    # then it makes its scratch folder, renders, and publishes.
    assert client.delete(f"/api/v1/versions/{version_id}/").status_code == 204
    with storage.scratch(version_id, run) as folder:
        rendered = ffmpeg.render(
            clip_path, ffprobe.probe(clip_path), **storage.rendered_paths(folder), timeout=60
        )
        assert pipeline.publish(version_id, run, folder, rendered) is False

    assert media_files(settings) == before


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_deleting_a_version_while_the_worker_processes_it_leaves_no_file(
    celery_worker, shot, director, settings, clip_path
):
    before = media_files(settings)
    client = client_for(director)
    version_id = media.upload(client, shot.pk, clip_path)["id"]
    _wait_for_state(version_id, {ProcessingState.PROCESSING, ProcessingState.READY})
    assert client.delete(f"/api/v1/versions/{version_id}/").status_code == 204
    # The worker may still be rendering: what it leaves must go when it is done.
    wait_for(lambda: media_files(settings) == before, timeout=60, what="the render's files going")
    time.sleep(2)
    assert media_files(settings) == before


# --- the sweep ----------------------------------------------------------------------------


def _plant(settings, name: str, *, age: float, content: bytes = b"x") -> Path:
    """A file under MEDIA_ROOT last changed `age` seconds ago (its folders too)."""
    root = Path(settings.MEDIA_ROOT)
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    when = time.time() - age
    for touched in [path, *path.relative_to(root).parents]:
        os.utime(root / touched, (when, when))
    return path


@pytest.fixture
def planted(settings, shot):
    """What a crash leaves, what is still in flight, and what rows own."""
    ready = VersionFactory(shot=shot, processing_state=ProcessingState.READY, processing_run="run2")
    Version.objects.filter(pk=ready.pk).update(outputs_dir=f"versions/{ready.pk}/run2")
    processing = VersionFactory(shot=shot, processing_state=ProcessingState.PROCESSING, processing_run="run9")
    gone = processing.pk + 1000
    old, young = 2 * HOUR, 60
    orphans = {
        "originals/crashed.mp4": old,
        f"versions/{gone}/run1/proxy.mp4": old,
        f"versions/{ready.pk}/run1/proxy.mp4": old,
        f"versions/{ready.pk}/.tmp-run3/proxy.mp4": old,
        f"versions/{ready.pk}/stray.txt": old,
        f"versions/{processing.pk}/.tmp-run8/poster.jpg": old,
        "versions/not-an-id/proxy.mp4": old,
        # The upload folder waits out the longest task, a render may read a copy there that long.
        "tmp/tmpdead.upload.mp4": settings.CELERY_TASK_MAX_TIME_LIMIT + HOUR,
        f"tmp/.tmp-{gone}-run1-x7/proxy.mp4": settings.CELERY_TASK_MAX_TIME_LIMIT + HOUR,
    }
    kept = {
        ready.file.name: old,
        f"versions/{ready.pk}/run2/proxy.mp4": old,
        f"versions/{processing.pk}/.tmp-run9/proxy.mp4": old,
        # In flight: an upload being stored, a render of a version deleted a minute ago.
        "originals/arriving.mp4": young,
        f"versions/{gone + 1}/.tmp-run1/proxy.mp4": young,
        "tmp/tmpalive.upload.mp4": young,
        "tmp/.tmp-rendering.mp4": 2 * HOUR,
        f"tmp/.tmp-{processing.pk}-run9-x7/proxy.mp4": settings.CELERY_TASK_MAX_TIME_LIMIT + HOUR,
    }
    for name, age in {**orphans, **kept}.items():
        _plant(settings, name, age=age)
    return orphans, kept


def _folders_of(names) -> set[str]:
    return {str(parent) for name in names for parent in Path(name).parents if str(parent) != "."}


def test_the_sweep_removes_what_no_row_owns_once_it_has_settled(planted, settings):
    orphans, kept = planted
    before = media_files(settings)

    removed = sweep.sweep(grace=timedelta(hours=1))

    assert media_files(settings) == before - set(orphans) - (_folders_of(orphans) - _folders_of(kept))
    assert len(removed) == len(orphans), "a deleted version's folder goes whole"
    for name in kept:
        assert (Path(settings.MEDIA_ROOT) / name).exists(), name
    assert sweep.sweep(grace=timedelta(hours=1)) == []


def test_the_sweep_command_lists_without_removing_on_a_dry_run(planted, settings, capsys):
    before = media_files(settings)
    call_command("sweep_media", "--dry-run")
    out = capsys.readouterr().out
    assert media_files(settings) == before
    assert "would remove original originals/crashed.mp4" in out
    assert "9 entries no row owns would be removed." in out

    call_command("sweep_media")
    assert "removing original originals/crashed.mp4" in capsys.readouterr().out
    assert not (Path(settings.MEDIA_ROOT) / "originals" / "crashed.mp4").exists()


def test_the_sweep_works_through_a_storage_kept_elsewhere(settings, shot):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    from django.core.files.storage import default_storage

    owned = VersionFactory(shot=shot, processing_state=ProcessingState.READY, processing_run="run1")
    Version.objects.filter(pk=owned.pk).update(outputs_dir=f"versions/{owned.pk}/run1")
    for name in [
        "originals/crashed.mp4",
        f"versions/{owned.pk}/run0/proxy.mp4",
        f"versions/{owned.pk}/run1/proxy.mp4",
    ]:
        default_storage.save(name, ContentFile(b"x"))
    later = timezone.now() + timedelta(hours=2)

    assert {orphan.name for orphan in sweep.find_orphans(grace=timedelta(hours=1))} == set()
    orphans = sweep.find_orphans(grace=timedelta(hours=1), now=later)
    assert {orphan.name for orphan in orphans} == {"originals/crashed.mp4", f"versions/{owned.pk}/run0"}
    for orphan in orphans:
        storage.remove_leftover(orphan)
    assert default_storage.listdir(f"versions/{owned.pk}") == (["run1"], [])
    assert default_storage.exists(owned.file.name)


@pytest.mark.django_db(transaction=True)
def test_workers_sweep_on_a_timer(planted, settings):
    stop = threading.Event()
    thread = threading.Thread(target=sweep.sweep_forever, args=(0.05, stop))
    thread.start()
    try:
        wait_for(
            lambda: not (Path(settings.MEDIA_ROOT) / "originals" / "crashed.mp4").exists(),
            timeout=10,
            what="a sweep",
        )
    finally:
        stop.set()
        thread.join()

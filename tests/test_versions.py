from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from reviews.models import Version
from tests.conftest import client_for

CLIP = b"\x00\x00\x00\x18ftypmp42" + b"frames" * 1000


def _upload(client, shot, data=CLIP, name="take1.mp4", **fields):
    return client.post(
        f"/api/v1/shots/{shot.pk}/versions/",
        {"file": SimpleUploadedFile(name, data, content_type="video/mp4"), **fields},
        format="multipart",
    )


def test_an_upload_is_stored_hashed_and_queued(shot, director, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _upload(
            client_for(director),
            shot,
            note="first pass",
            generation='{"model": "kling-2.1", "prompt": "she reaches out", "seed": 42, "cfg": 7}',
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == 1
    assert body["sha256"] == hashlib.sha256(CLIP).hexdigest()
    assert body["size_bytes"] == len(CLIP)
    assert body["original_filename"] == "take1.mp4"
    assert body["generation"]["seed"] == 42
    assert body["processing"] == {
        "state": "queued",
        "progress": 0,
        "error": None,
        "attempts": 0,
        "queue_position": 0,
    }
    assert body["media"] is None
    assert body["proxy_url"] is None
    assert len(callbacks) == 2, "the processing job and the event's fan-out are queued after the commit"
    stored = Version.objects.get(pk=body["id"]).file.path
    assert Path(stored).read_bytes() == CLIP
    assert stored.startswith(str(settings.MEDIA_ROOT))


def test_version_numbers_follow_each_other_and_are_never_reused(shot, director):
    client = client_for(director)
    first = _upload(client, shot).json()
    second = _upload(client, shot).json()
    assert client.delete(f"/api/v1/versions/{second['id']}/").status_code == 204
    third = _upload(client, shot).json()
    assert (first["number"], second["number"], third["number"]) == (1, 2, 3)


@pytest.mark.django_db(transaction=True)
def test_two_racing_uploads_get_numbers_1_and_2(shot, director):
    barrier = threading.Barrier(2)
    numbers = []

    def upload():
        barrier.wait()
        try:
            numbers.append(_upload(client_for(director), shot).json()["number"])
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(numbers) == [1, 2]


def test_it_refuses_an_upload_past_the_size_limit_and_keeps_nothing(shot, director, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = _upload(client_for(director), shot, data=b"x" * 5000)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert not Version.objects.exists()
    leftovers = (
        [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] if settings.MEDIA_ROOT.exists() else []
    )
    assert leftovers == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"file": ""}, "file"),
        ({}, "file"),
        ({"generation": "not json"}, "generation"),
        ({"generation": "[1, 2]"}, "generation"),
    ],
)
def test_it_explains_what_is_wrong_with_an_upload(shot, director, fields, field):
    payload = {"file": SimpleUploadedFile("a.mp4", CLIP), **fields}
    if "file" in fields and fields["file"] == "":
        payload["file"] = SimpleUploadedFile("empty.mp4", b"")
    if not fields:
        payload = {"note": "forgot the file"}
    response = client_for(director).post(f"/api/v1/shots/{shot.pk}/versions/", payload, format="multipart")
    assert response.status_code == 400
    assert response.json()[field]


def test_the_review_status_is_set_by_a_mentor_and_shows_on_the_shot(shot, director, mentor):
    version = _upload(client_for(director), shot).json()
    response = client_for(mentor).patch(
        f"/api/v1/versions/{version['id']}/", {"review_status": "changes_requested"}, format="json"
    )
    assert response.status_code == 200
    listed = client_for(mentor).get(f"/api/v1/shots/{shot.pk}/").json()
    assert listed["status"] == "changes_requested"
    assert listed["latest_version"]["number"] == 1


def test_a_shot_without_versions_says_so(shot, director):
    assert client_for(director).get(f"/api/v1/shots/{shot.pk}/").json()["status"] == "no_version"


def test_shot_codes_are_unique_in_a_project(project, shot, director):
    response = client_for(director).post(
        f"/api/v1/projects/{project.pk}/shots/", {"code": "SH010"}, format="json"
    )
    assert response.status_code == 400
    assert "already" in response.json()["code"][0]


def _delete_url(what: str, project, shot, version_id: int) -> str:
    """The address that deletes the version itself, its shot or its whole project."""
    return {
        "project": f"/api/v1/projects/{project.pk}/",
        "shot": f"/api/v1/shots/{shot.pk}/",
        "version": f"/api/v1/versions/{version_id}/",
    }[what]


@pytest.mark.parametrize("what", ["project", "shot", "version"])
def test_deleting_removes_the_clips_from_disk(
    project, shot, director, what, django_capture_on_commit_callbacks
):
    client = client_for(director)
    version = _upload(client, shot).json()
    stored = Path(Version.objects.get(pk=version["id"]).file.path)
    url = _delete_url(what, project, shot, version["id"])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(url).status_code == 204

    assert not stored.exists()
    assert not Version.objects.filter(pk=version["id"]).exists()


@pytest.mark.parametrize("what", ["project", "shot", "version"])
def test_deleting_removes_the_generated_files_too(
    project, shot, director, what, settings, django_capture_on_commit_callbacks
):
    client = client_for(director)
    version = _upload(client, shot).json()
    # What a finished run and an interrupted one leave behind.
    home = Path(settings.MEDIA_ROOT) / "versions" / str(version["id"])
    for folder in ("run1", ".tmp-run2"):
        (home / folder).mkdir(parents=True)
        (home / folder / "proxy.mp4").write_bytes(b"proxy")
    url = _delete_url(what, project, shot, version["id"])

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(url).status_code == 204

    assert not home.exists()

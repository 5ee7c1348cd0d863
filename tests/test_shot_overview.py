"""A shot describes the conversation of all its versions, not only the latest one.

Alice directs, Bob mentors, Carol reviews, Dave watches, Eve is outside.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import services
from reviews.models import ProcessingState, ReviewStatus
from tests.conftest import client_for
from tests.factories import ShotFactory, VersionFactory

pytestmark = pytest.mark.django_db


def _shot(client, shot) -> dict:
    return client.get(f"/api/v1/shots/{shot.pk}/").json()


def test_it_lists_every_version_with_its_own_status_and_open_notes(shot, director, mentor):
    first = VersionFactory(shot=shot, number=1)
    services.comment_create(version=first, author=mentor, body="her hand should hesitate", frame=12)
    services.version_update(version=first, by=mentor, review_status=ReviewStatus.CHANGES_REQUESTED)
    VersionFactory(shot=shot, number=2)

    body = _shot(client_for(director), shot)

    assert [(v["number"], v["review_status"], v["open_thread_count"]) for v in body["versions"]] == [
        (1, "changes_requested", 1),
        (2, "pending", 0),
    ]
    assert body["latest_version"]["number"] == 2


def test_it_lands_on_the_version_with_the_newest_activity_not_a_silent_reupload(shot, director, mentor):
    first = VersionFactory(shot=shot, number=1)
    services.version_update(version=first, by=mentor, review_status=ReviewStatus.CHANGES_REQUESTED)
    VersionFactory(shot=shot, number=2)

    body = _shot(client_for(director), shot)

    assert body["landing_version"]["number"] == 1
    assert body["landing_version"]["review_status"] == "changes_requested", "a re-upload hides nothing"
    # The contract's status is still the latest version's.
    assert body["status"] == "pending"


def test_it_lands_on_a_newer_version_once_someone_talks_about_it(shot, director, mentor):
    first = VersionFactory(shot=shot, number=1)
    services.comment_create(version=first, author=mentor, body="slower", frame=1)
    second = VersionFactory(shot=shot, number=2)
    services.comment_create(version=second, author=mentor, body="better", frame=1)

    body = _shot(client_for(director), shot)

    assert body["landing_version"]["id"] == second.pk
    assert body["versions"][1]["last_activity_at"] is not None


def test_it_lands_on_the_latest_version_when_nobody_said_anything(shot, director):
    VersionFactory(shot=shot, number=1)
    latest = VersionFactory(shot=shot, number=2)

    body = _shot(client_for(director), shot)

    assert body["landing_version"]["id"] == latest.pk
    assert body["status"] == "pending"


def test_a_shot_without_versions_has_none_to_land_on(shot, director):
    body = _shot(client_for(director), shot)

    assert (body["versions"], body["landing_version"], body["status"]) == ([], None, "no_version")


def test_it_marks_what_others_said_since_you_last_looked_as_unread(shot, director, mentor):
    version = VersionFactory(shot=shot, number=1)
    services.comment_create(version=version, author=mentor, body="look at frame 12", frame=12)
    alice, bob = client_for(director), client_for(mentor)

    assert _shot(alice, shot)["versions"][0]["unread"] is True
    assert _shot(bob, shot)["versions"][0]["unread"] is False, "your own note is not news to you"

    assert alice.post(f"/api/v1/versions/{version.pk}/seen/").status_code == 204
    assert _shot(alice, shot)["versions"][0]["unread"] is False

    services.version_update(version=version, by=mentor, review_status=ReviewStatus.APPROVED)
    assert _shot(alice, shot)["versions"][0]["unread"] is True


def test_a_new_take_is_unread_for_everyone_but_its_uploader_yet_does_not_take_the_landing(
    shot, director, mentor
):
    first = VersionFactory(shot=shot, number=1)
    services.comment_create(version=first, author=mentor, body="slower", frame=1)
    upload = SimpleUploadedFile("take2.mp4", b"\x00\x00\x00\x18ftypmp42 cut short", content_type="video/mp4")
    second = services.version_upload(shot=shot, uploaded_by=director, file=upload)

    bob = _shot(client_for(mentor), shot)
    assert [(v["number"], v["unread"]) for v in bob["versions"]] == [(1, False), (2, True)]
    assert bob["landing_version"]["number"] == 1, "the conversation is still on v1"
    assert _shot(client_for(director), shot)["versions"][1]["unread"] is False
    assert second.number == 2


def test_opening_the_version_page_reads_it(shot, director, mentor, client):
    version = VersionFactory(shot=shot, number=1)
    services.comment_create(version=version, author=mentor, body="look", frame=1)
    client.force_login(director)

    assert client.get(f"/review/versions/{version.pk}/").status_code == 200

    assert _shot(client_for(director), shot)["versions"][0]["unread"] is False


def test_an_outsider_cannot_mark_a_version_seen(shot, outsider):
    version = VersionFactory(shot=shot, number=1)

    assert client_for(outsider).post(f"/api/v1/versions/{version.pk}/seen/").status_code == 404


def test_a_queued_version_says_how_many_wait_before_it(project, shot, director):
    other_project_shot = ShotFactory()
    VersionFactory(shot=other_project_shot, number=1)
    # Rendering: a worker has it.
    VersionFactory(shot=shot, number=1, processing_state=ProcessingState.PROCESSING, processing_attempts=1)
    # Probed, its render job waiting behind the others: still waiting, whatever its 2 %.
    VersionFactory(shot=shot, number=2, processing_state=ProcessingState.PROCESSING, processing_progress=2)
    VersionFactory(shot=shot, number=3)
    fourth = VersionFactory(shot=shot, number=4)
    client = client_for(director)

    detail = client.get(f"/api/v1/versions/{fourth.pk}/").json()
    summaries = _shot(client, shot)["versions"]

    assert detail["processing"]["queue_position"] == 3, "the other project's upload shares the workers"
    assert [v["queue_position"] for v in summaries] == [None, 1, 2, 3]


def test_a_new_shot_goes_last(project, director):
    client = client_for(director)
    client.post(f"/api/v1/projects/{project.pk}/shots/", {"code": "SH020", "order": 5}, format="json")

    created = client.post(f"/api/v1/projects/{project.pk}/shots/", {"code": "SH010"}, format="json")

    assert created.status_code == 201
    assert created.json()["order"] == 6
    listed = client.get(f"/api/v1/projects/{project.pk}/shots/").json()["results"]
    assert [shot["code"] for shot in listed] == ["SH020", "SH010"]


def test_the_shot_list_costs_the_same_for_many_shots_and_versions(project, director, mentor):
    client = client_for(director)
    url = f"/api/v1/projects/{project.pk}/shots/?page_size=200"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def grow(shots: int) -> None:
        for _ in range(shots):
            shot = ShotFactory(project=project)
            for number in (1, 2, 3):
                version = VersionFactory(shot=shot, number=number)
                services.comment_create(version=version, author=mentor, body="note", frame=number)

    grow(1)
    few = queries()
    grow(20)

    assert queries() == few

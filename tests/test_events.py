"""The event record: one row per change people care about, written with the change, fanned
out after commit, and read by members as the project's activity feed."""

from __future__ import annotations

import queue

import pytest
from celery.signals import before_task_publish
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from reviews import events, services
from reviews.models import Event, Version
from tests.conftest import client_for
from tests.factories import ShotFactory, UserFactory, VersionFactory

FAN_OUT = "reviews.tasks.fan_out_event"


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=3)


def only_event(**filters) -> Event:
    [event] = Event.objects.filter(**filters)
    return event


def activity(client, project, query=""):
    return client.get(f"/api/v1/projects/{project.pk}/activity/{query}")


# --- one event per change --------------------------------------------------


def test_it_records_a_new_comment_with_what_a_reader_needs(version, director, mentor):
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/",
        {"body": "@alice her hand should hesitate here", "frame": 48, "frame_end": 60},
        format="json",
    )
    assert response.status_code == 201, response.content

    event = only_event(kind="comment.created")
    assert event.project_id == version.shot.project_id
    assert event.actor == mentor
    assert (event.subject_type, event.subject_id) == ("comment", response.json()["id"])
    assert event.payload == {
        "comment": {
            "id": response.json()["id"],
            "parent": None,
            "thread": None,
            "frame": 48,
            "frame_end": 60,
            "excerpt": "@alice her hand should hesitate here",
            "internal": False,
            "guest": None,
        },
        "version": {"id": version.pk, "number": 3},
        "shot": {"id": version.shot_id, "code": "SH010"},
        "mentions": ["alice"],
    }


def test_it_keeps_only_an_excerpt_of_a_long_comment(version, mentor):
    services.comment_create(version=version, author=mentor, body="slower " * 100)

    excerpt = only_event(kind="comment.created").payload["comment"]["excerpt"]
    assert len(excerpt) == events.EXCERPT_LENGTH
    assert excerpt.endswith("…")


def test_it_records_an_edit_and_what_was_edited(version, reviewer):
    comment = services.comment_create(version=version, author=reviewer, body="first")

    response = client_for(reviewer).patch(
        f"/api/v1/comments/{comment.pk}/", {"body": "second thoughts"}, format="json"
    )

    assert response.status_code == 200, response.content
    event = only_event(kind="comment.updated")
    assert event.actor == reviewer
    assert event.payload["changed"] == ["body"]
    assert event.payload["comment"]["excerpt"] == "second thoughts"


def test_it_records_resolving_and_reopening(version, mentor, reviewer):
    comment = services.comment_create(version=version, author=reviewer, body="fix the hand", frame=5)
    client = client_for(mentor)

    client.patch(f"/api/v1/comments/{comment.pk}/", {"resolved": True}, format="json")
    client.patch(f"/api/v1/comments/{comment.pk}/", {"resolved": False}, format="json")
    client.patch(f"/api/v1/comments/{comment.pk}/", {"resolved": False}, format="json")

    kinds = list(Event.objects.filter(subject_type="comment").values_list("kind", "actor"))
    assert kinds == [
        ("comment.created", reviewer.pk),
        ("comment.resolved", mentor.pk),
        ("comment.reopened", mentor.pk),
    ]


def test_a_deleted_comment_stays_readable_in_its_event_but_its_words_go(version, director, reviewer):
    comment = services.comment_create(version=version, author=reviewer, body="cut the last beat", frame=90)
    reply = services.comment_create(version=version, author=director, body="agreed", parent=comment)

    assert client_for(director).delete(f"/api/v1/comments/{comment.pk}/").status_code == 204

    event = only_event(kind="comment.deleted")
    assert event.actor == director
    assert (event.subject_type, event.subject_id) == ("comment", comment.pk)
    # What happened stays on the record; what was said is deleted with the note, from every
    # event that quoted it (the notes and the replies that went with it).
    excerpts = [
        e.payload["comment"]["excerpt"] for e in Event.objects.filter(subject_id__in=[comment.pk, reply.pk])
    ]
    assert excerpts
    assert set(excerpts) == {""}
    assert event.payload["comment"]["frame"] == 90
    assert event.payload["author"] == reviewer.pk
    assert event.payload["shot"]["code"] == "SH010"


def test_it_records_an_upload(shot, director):
    clip = SimpleUploadedFile(
        "take1.mp4", b"\x00\x00\x00\x18ftypmp42 cut short, not decoded here", content_type="video/mp4"
    )

    version = services.version_upload(shot=shot, uploaded_by=director, file=clip, note="first pass")

    event = only_event(kind="version.created")
    assert event.actor == director
    assert (event.subject_type, event.subject_id) == ("version", version.pk)
    assert event.payload == {
        "version": {"id": version.pk, "number": 1},
        "shot": {"id": shot.pk, "code": "SH010"},
        "original_filename": "take1.mp4",
        "note": "first pass",
    }


def test_it_records_a_review_status_change_and_nothing_else(version, director, mentor):
    client = client_for(mentor)
    client.patch(f"/api/v1/versions/{version.pk}/", {"review_status": "changes_requested"}, format="json")
    client.patch(f"/api/v1/versions/{version.pk}/", {"review_status": "changes_requested"}, format="json")
    client_for(director).patch(f"/api/v1/versions/{version.pk}/", {"note": "v3 with the fix"}, format="json")

    event = only_event(kind="version.review_status_changed")
    assert event.actor == mentor
    assert event.payload["from"] == "pending"
    assert event.payload["to"] == "changes_requested"
    assert event.payload["version"] == {"id": version.pk, "number": 3}
    assert Event.objects.count() == 1


def test_it_records_members_added_changed_and_removed(project, director):
    frank = UserFactory(username="frank")
    client = client_for(director)
    members = f"/api/v1/projects/{project.pk}/members/"

    assert client.post(members, {"username": "frank", "role": "reviewer"}, format="json").status_code == 201
    assert client.patch(f"{members}{frank.pk}/", {"role": "mentor"}, format="json").status_code == 200
    assert client.delete(f"{members}{frank.pk}/").status_code == 204

    recorded = [(e.kind, e.actor_id, e.subject_type, e.subject_id, e.payload) for e in Event.objects.all()]
    user = {"id": frank.pk, "username": "frank"}
    assert recorded == [
        ("member.added", director.pk, "user", frank.pk, {"user": user, "role": "reviewer"}),
        (
            "member.role_changed",
            director.pk,
            "user",
            frank.pk,
            {"user": user, "from": "reviewer", "to": "mentor"},
        ),
        ("member.removed", director.pk, "user", frank.pk, {"user": user, "role": "mentor"}),
    ]


def test_a_refused_change_records_nothing(project, director):
    response = client_for(director).patch(
        f"/api/v1/projects/{project.pk}/members/{director.pk}/", {"role": "viewer"}, format="json"
    )

    assert response.status_code == 400
    assert not Event.objects.exists()


def test_the_pipeline_records_failure_once_without_an_actor(version):
    from reviews.media import pipeline

    Version.objects.filter(pk=version.pk).update(processing_state="processing", processing_run="run1")

    pipeline.fail(version.pk, "run1", "The file is an audio track, not a video.")
    # A job delivered twice fails the version again; the record must not say so twice.
    pipeline.fail(version.pk, "run1", "The file is an audio track, not a video.")
    pipeline.fail(version.pk, "an-older-run", "stale")

    event = only_event(kind="version.failed")
    assert event.actor is None
    assert event.payload == {
        "version": {"id": version.pk, "number": 3},
        "shot": {"id": version.shot_id, "code": "SH010"},
        "error": "The file is an audio track, not a video.",
    }


def test_a_deleted_project_takes_its_events_with_it(project, director, version, mentor):
    services.comment_create(version=version, author=mentor, body="hesitate")

    services.project_delete(project=project)

    assert not Event.objects.exists()


# --- written with the change, fanned out after commit ----------------------


@pytest.fixture
def published():
    """The fan-out jobs sent to the broker, as Celery announces them before publishing."""
    sent: list[int] = []

    def record(sender, body, **kwargs):
        if sender == FAN_OUT:
            sent.append(body[0][0])

    before_task_publish.connect(record, weak=False)
    yield sent
    before_task_publish.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_the_fan_out_is_queued_only_once_the_change_commits(project, shot, mentor, published):
    version = VersionFactory(shot=shot)

    with transaction.atomic():
        comment = services.comment_create(version=version, author=mentor, body="hesitate", frame=48)
        assert published == [], "nothing may be sent while the change can still roll back"

    assert published == [Event.objects.get(subject_id=comment.pk).pk]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event_and_queues_nothing(project, shot, mentor, published):
    version = VersionFactory(shot=shot)

    def comment_then_fail() -> None:
        with transaction.atomic():
            services.comment_create(version=version, author=mentor, body="hesitate", frame=48)
            raise RuntimeError("the request failed after the comment")

    with pytest.raises(RuntimeError):
        comment_then_fail()

    assert not Event.objects.exists()
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_an_event_cannot_be_recorded_outside_a_transaction(project, version, mentor):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.event_record(
            kind="comment.created", project=project, actor=mentor, subject=version, payload={}
        )
    assert not Event.objects.exists()


@pytest.fixture
def received():
    """A consumer registered for the test: the events the fan-out task hands it."""
    seen: queue.Queue[int] = queue.Queue()

    def receive(event: Event) -> None:
        seen.put(event.pk)

    events.consumer(receive)
    yield seen
    events.CONSUMERS.remove(receive)


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_the_worker_hands_each_committed_event_to_the_consumers(celery_worker, shot, mentor, received):
    version = VersionFactory(shot=shot)

    with transaction.atomic():
        comment = services.comment_create(version=version, author=mentor, body="hesitate")

    assert received.get(timeout=30) == Event.objects.get(subject_id=comment.pk).pk


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_the_pipeline_records_ready_and_failed(celery_worker, tmp_path, shot, director, received):
    from harness import clips
    from harness.media import upload, wait_until_processed

    client = client_for(director)
    good = upload(client, shot.pk, clips.make_clip(tmp_path, "no_audio", seconds=1))["id"]
    bad = upload(client, shot.pk, clips.make_clip(tmp_path, "truncated", seconds=1))["id"]
    wait_until_processed(client, good)
    wait_until_processed(client, bad)

    ready = only_event(kind="version.ready")
    assert (ready.subject_id, ready.actor) == (good, None)
    assert ready.payload["version"] == {"id": good, "number": 1}
    assert ready.payload["frame_count"] == 24
    failed = only_event(kind="version.failed")
    assert (failed.subject_id, failed.actor) == (bad, None)
    assert "cut short" in failed.payload["error"]
    handed = {received.get(timeout=30) for _ in range(4)}
    assert handed == set(Event.objects.values_list("pk", flat=True))


# --- the activity feed -----------------------------------------------------


def test_members_read_the_feed_newest_first(project, version, director, mentor, viewer):
    first = services.comment_create(version=version, author=mentor, body="hesitate", frame=48)
    services.comment_update(comment=first, by=director, resolved=True)

    response = activity(client_for(viewer), project)

    assert response.status_code == 200, response.content
    items = response.json()["results"]
    assert [item["kind"] for item in items] == ["comment.resolved", "comment.created"]
    assert items[0]["actor"] == {"id": director.pk, "username": "alice", "display_name": "Alice"}
    assert items[1]["subject"] == {"type": "comment", "id": first.pk}
    assert items[1]["payload"]["comment"]["frame"] == 48
    assert set(items[0]) == {"id", "kind", "created_at", "actor", "subject", "payload"}


def test_the_pipeline_shows_as_no_actor(project, version, viewer):
    from reviews.media import pipeline

    Version.objects.filter(pk=version.pk).update(processing_state="processing", processing_run="run1")
    pipeline.fail(version.pk, "run1", "The file is an audio track, not a video.")

    [item] = activity(client_for(viewer), project).json()["results"]
    assert item["kind"] == "version.failed"
    assert item["actor"] is None


def test_an_outsider_cannot_see_the_feed(project, version, mentor, outsider):
    services.comment_create(version=version, author=mentor, body="hesitate")

    hidden = activity(client_for(outsider), project)
    missing = client_for(outsider).get("/api/v1/projects/999999/activity/")

    assert hidden.status_code == missing.status_code == 404
    assert activity(client_for(None), project).status_code == 401


def test_the_feed_is_paginated(project, version, mentor):
    for index in range(55):
        services.comment_create(version=version, author=mentor, body=f"note {index}")

    first = activity(client_for(mentor), project).json()
    second = client_for(mentor).get(first["next"]).json()

    assert first["count"] == 55
    assert [item["payload"]["comment"]["excerpt"] for item in first["results"][:2]] == ["note 54", "note 53"]
    assert len(first["results"]) == 50
    assert [item["payload"]["comment"]["excerpt"] for item in second["results"]][-1] == "note 0"
    assert len(second["results"]) == 5


def test_the_feed_filters_by_kind_and_after_an_id(project, version, mentor, director):
    comment = services.comment_create(version=version, author=mentor, body="hesitate")
    mark = Event.objects.get().pk
    services.comment_update(comment=comment, by=director, resolved=True)
    services.version_update(version=version, by=director, review_status="approved")
    client = client_for(mentor)

    by_kind = activity(client, project, "?kind=comment.created&kind=comment.resolved").json()["results"]
    after = activity(client, project, f"?after={mark}").json()["results"]

    assert [item["kind"] for item in by_kind] == ["comment.resolved", "comment.created"]
    assert [item["kind"] for item in after] == ["version.review_status_changed", "comment.resolved"]


@pytest.mark.parametrize("query", ["?kind=comment.exploded", "?after=-1", "?after=soon", "?after=1e400"])
def test_the_feed_refuses_filters_it_does_not_know(project, mentor, query):
    response = activity(client_for(mentor), project, query)

    assert response.status_code == 400
    assert set(response.json()) <= {"kind", "after"}


def test_the_feed_costs_the_same_queries_however_many_people_act(project, mentor):
    client = client_for(mentor)

    def queries_for_feed() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert activity(client, project).status_code == 200
        return len(queries)

    def some_activity(count: int) -> None:
        for _ in range(count):
            version = VersionFactory(shot=ShotFactory(project=project))
            author = UserFactory()
            services.member_add(project=project, user=author, role="reviewer", by=mentor)
            services.comment_create(version=version, author=author, body="hesitate")

    some_activity(2)
    few = queries_for_feed()
    some_activity(20)

    assert queries_for_feed() == few

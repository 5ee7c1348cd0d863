"""Deleting a note never takes other people's replies with it, unless a director deletes the thread.

Carol's note, answered by Alice and Bob: when Carol deletes it the note becomes
"deleted" (no body, no drawing, no mentions) and the replies stay.
"""

from __future__ import annotations

import json

import pytest

from reviews import services
from reviews.models import Comment
from tests.conftest import client_for
from tests.factories import VersionFactory

DRAWING = {"shapes": [{"type": "arrow", "color": "#ff3b30", "points": [[0.1, 0.1], [0.5, 0.5]]}]}


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=1)


@pytest.fixture
def note(version, reviewer, director, mentor):
    return services.comment_create(
        version=version, author=reviewer, body="@bob her hand moves too soon", frame=48, annotation=DRAWING
    )


def reply(note, author, body="agreed"):
    return services.comment_create(version=note.version, author=author, body=body, parent=note)


def delete(user, comment):
    return client_for(user).delete(f"/api/v1/comments/{comment.pk}/")


def thread(user, version):
    response = client_for(user).get(f"/api/v1/versions/{version.pk}/comments/")
    assert response.status_code == 200
    return response.json()["results"]


def test_it_keeps_others_replies_when_the_author_deletes_her_note(version, note, reviewer, director, mentor):
    reply(note, director, "how long should she wait?")
    reply(note, mentor, "about six frames")

    assert delete(reviewer, note).status_code == 204

    [shown] = thread(mentor, version)
    assert shown["deleted"] is True
    assert shown["deleted_at"] is not None
    assert (shown["body"], shown["annotation"], shown["mentions"]) == ("", None, [])
    assert [r["body"] for r in shown["replies"]] == ["how long should she wait?", "about six frames"]
    assert shown["frame"] == 48


def test_a_note_without_others_replies_is_deleted_with_the_authors_own(version, note, reviewer):
    own = reply(note, reviewer, "and the shadow")

    assert delete(reviewer, note).status_code == 204

    assert not Comment.objects.filter(pk__in=[note.pk, own.pk]).exists()
    assert thread(reviewer, version) == []


def test_a_director_deleting_the_note_deletes_the_whole_thread(version, note, director, mentor):
    reply(note, mentor)

    assert delete(director, note).status_code == 204

    assert not Comment.objects.filter(version=version).exists()


def test_a_reply_with_others_sub_replies_becomes_deleted_too(version, note, reviewer, director, mentor):
    answer = reply(note, mentor, "six frames")
    reply(answer, director, "make it eight")

    assert delete(mentor, answer).status_code == 204

    [shown] = thread(reviewer, version)
    [kept] = shown["replies"]
    assert (kept["deleted"], kept["body"]) == (True, "")
    assert [r["body"] for r in kept["replies"]] == ["make it eight"]
    assert shown["deleted"] is False


def test_deleting_the_last_reply_under_a_deleted_note_removes_it(version, note, reviewer, director, mentor):
    answer = reply(note, mentor, "six frames")
    deeper = reply(answer, director, "make it eight")
    assert delete(reviewer, note).status_code == 204
    assert delete(mentor, answer).status_code == 204

    assert delete(director, deeper).status_code == 204

    assert not Comment.objects.filter(version=version).exists()


def test_a_deleted_note_cannot_be_edited_but_can_be_answered(version, note, reviewer, mentor):
    reply(note, mentor)
    delete(reviewer, note)

    edit = client_for(reviewer).patch(f"/api/v1/comments/{note.pk}/", {"body": "back"}, format="json")
    answer = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "still here", "parent": note.pk}, format="json"
    )

    assert edit.status_code == 400
    assert "deleted" in edit.json()["detail"]
    assert answer.status_code == 201
    assert Comment.objects.get(pk=note.pk).body == ""


def test_a_deleted_note_is_not_counted_as_open(project, shot, version, note, reviewer, director, mentor):
    reply(note, mentor)
    delete(reviewer, note)

    [listed] = client_for(director).get(f"/api/v1/projects/{project.pk}/shots/").json()["results"]

    assert listed["latest_version"]["open_thread_count"] == 0
    assert listed["latest_version"]["comment_count"] == 1


def test_the_activity_feed_forgets_what_a_deleted_note_said(project, version, note, reviewer, director):
    services.comment_create(version=version, author=director, body="agreed", parent=note)
    assert client_for(reviewer).delete(f"/api/v1/comments/{note.pk}/").status_code == 204

    feed = client_for(director).get(f"/api/v1/projects/{project.pk}/activity/").json()["results"]
    quoted = [item["payload"]["comment"]["excerpt"] for item in feed if item["subject"]["id"] == note.pk]
    assert quoted
    assert set(quoted) == {""}
    assert note.body not in json.dumps(feed)

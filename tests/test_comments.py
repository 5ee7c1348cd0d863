from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from reviews import services
from tests.conftest import client_for
from tests.factories import CommentFactory, VersionFactory


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, number=1)


def _comments(client, version, query=""):
    response = client.get(f"/api/v1/versions/{version.pk}/comments/{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_it_orders_threads_general_notes_first_then_by_frame(version, mentor, reviewer):
    for author, frame, body in [
        (mentor, 48, "hand hesitates here"),
        (reviewer, None, "overall: lovely light"),
        (mentor, 12, "eyes open too early"),
        (reviewer, 48, "same moment, second note"),
    ]:
        services.comment_create(version=version, author=author, body=body, frame=frame)

    bodies = [c["body"] for c in _comments(client_for(mentor), version)]

    assert bodies == [
        "overall: lovely light",
        "eyes open too early",
        "hand hesitates here",
        "same moment, second note",
    ]


def test_it_nests_whole_reply_trees_in_time_order(version, director, mentor, reviewer):
    root = services.comment_create(version=version, author=mentor, body="hesitate", frame=48)
    first = services.comment_create(version=version, author=director, body="how long?", parent=root)
    services.comment_create(version=version, author=reviewer, body="also the shadow", parent=root)
    services.comment_create(version=version, author=mentor, body="about 6 frames", parent=first)

    [thread] = _comments(client_for(reviewer), version)

    assert [r["body"] for r in thread["replies"]] == ["how long?", "also the shadow"]
    assert [r["body"] for r in thread["replies"][0]["replies"]] == ["about 6 frames"]
    assert thread["replies"][0]["replies"][0]["frame"] == 48
    assert thread["author"] == {"id": mentor.pk, "username": "bob", "display_name": "Bob", "role": "mentor"}


def test_a_reply_inherits_its_threads_anchor(version, mentor, reviewer):
    root = services.comment_create(version=version, author=mentor, body="range", frame=10, frame_end=30)
    response = client_for(reviewer).post(
        f"/api/v1/versions/{version.pk}/comments/",
        {"body": "yes", "parent": root.pk, "frame": 99},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["frame"], response.json()["frame_end"]) == (10, 30)


def test_it_refuses_a_reply_to_a_comment_on_another_version(shot, version, mentor):
    other = VersionFactory(shot=shot, number=2)
    elsewhere = services.comment_create(version=other, author=mentor, body="on v2")

    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "reply", "parent": elsewhere.pk}, format="json"
    )

    assert response.status_code == 400
    assert "same version" in response.json()["parent"][0]


def test_the_database_refuses_a_reply_on_another_version(shot, version, mentor):
    other = VersionFactory(shot=shot, number=2)
    root = CommentFactory(version=other, author=mentor)
    # The constraint is deferred to the end of the transaction: check it now.
    CommentFactory(version=version, author=mentor, parent=root, thread=root)
    with pytest.raises(IntegrityError):
        connection.check_constraints()


def test_the_database_refuses_a_range_that_ends_before_it_starts(version, mentor):
    with pytest.raises(IntegrityError):
        CommentFactory(version=version, author=mentor, frame=30, frame_end=10)


def test_it_filters_threads_by_resolved_and_author(version, mentor, reviewer, director):
    done = services.comment_create(version=version, author=mentor, body="fixed already", frame=1)
    services.comment_update(comment=done, by=director, resolved=True)
    services.comment_create(version=version, author=reviewer, body="still open", frame=2)
    client = client_for(director)

    assert [c["body"] for c in _comments(client, version, "?resolved=true")] == ["fixed already"]
    assert [c["body"] for c in _comments(client, version, "?resolved=false")] == ["still open"]
    assert [c["body"] for c in _comments(client, version, "?author=carol")] == ["still open"]
    # Names are read as sign-in reads them: any case, full-width letters as plain ones.
    for spelling in ("CAROL", "%EF%BD%83arol", "carol%20"):
        assert [c["body"] for c in _comments(client, version, f"?author={spelling}")] == ["still open"]
    assert client.get(f"/api/v1/versions/{version.pk}/comments/?resolved=maybe").status_code == 400


def test_resolving_records_who_and_unresolving_clears_it(version, mentor, reviewer):
    comment = services.comment_create(version=version, author=reviewer, body="fix the hand", frame=5)
    url = f"/api/v1/comments/{comment.pk}/"
    resolved = client_for(mentor).patch(url, {"resolved": True}, format="json").json()
    assert resolved["resolved"] is True
    assert resolved["resolved_by"]["username"] == "bob"
    reopened = client_for(mentor).patch(url, {"resolved": False}, format="json").json()
    assert (reopened["resolved"], reopened["resolved_by"]) == (False, None)


def test_mentions_are_project_members_named_in_the_body(project, version, mentor, reviewer, outsider):
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/",
        {"body": "@carol can you check? cc @eve and @nobody, thanks @carol."},
        format="json",
    )
    assert response.json()["mentions"] == ["carol"]


@pytest.mark.parametrize(
    ("anchor", "frame"),
    [({"timecode": "00:00:02:00"}, 48), ({"seconds": 2.0}, 48), ({"frame": 48}, 48), ({}, None)],
)
def test_it_stores_a_frame_however_the_moment_is_given(version, mentor, anchor, frame):
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "here", **anchor}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["frame"] == frame
    if frame is not None:
        assert (body["timecode"], body["seconds"]) == ("00:00:02:00", 2.0)


def test_it_uses_the_clips_own_rate_once_probed(version, mentor):
    version.fps_numerator, version.fps_denominator = 30000, 1001
    version.save()
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "here", "timecode": "00:00:01:00"}, format="json"
    )
    assert response.json()["frame"] == 30
    assert response.json()["seconds"] == pytest.approx(1.001)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "x", "timecode": "00:00:01:30"}, "timecode"),
        ({"body": "x", "frame": 10, "frame_end": 5}, "frame_end"),
        ({"body": "x", "frame_end": 5}, "frame_end"),
        ({"body": "x", "frame": 1, "seconds": 1}, "seconds"),
        ({"body": ""}, "body"),
        ({"body": "x", "frame": -1}, "frame"),
        ({"body": "x", "annotation": {"shapes": [{"type": "stroke", "points": [[2, 0.5]]}]}}, "annotation"),
        ({"body": "x", "annotation": "scribble"}, "annotation"),
    ],
)
def test_it_explains_what_is_wrong_with_a_comment(version, mentor, payload, field):
    response = client_for(mentor).post(f"/api/v1/versions/{version.pk}/comments/", payload, format="json")
    assert response.status_code == 400
    assert response.json()[field]


def test_it_refuses_a_frame_past_the_end_of_a_probed_clip(version, mentor):
    version.frame_count = 48
    version.save()
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/", {"body": "x", "frame": 48}, format="json"
    )
    assert response.status_code == 400
    assert "past the end" in response.json()["frame"][0]


def test_it_stores_an_annotation_in_normalised_coordinates(version, mentor):
    annotation = {
        "shapes": [{"type": "arrow", "color": "#ff3b30", "width": 0.004, "points": [[0.1, 0.2], [0.5, 0.5]]}]
    }
    response = client_for(mentor).post(
        f"/api/v1/versions/{version.pk}/comments/",
        {"body": "look", "frame": 3, "annotation": annotation},
        format="json",
    )
    assert response.json()["annotation"] == annotation


def test_it_removes_a_drawing_patched_to_null_and_keeps_one_not_sent(version, mentor):
    drawing = {"shapes": [{"type": "stroke", "color": "#ff3b30", "points": [[0.1, 0.2], [0.3, 0.4]]}]}
    comment = services.comment_create(
        version=version, author=mentor, body="look", frame=3, annotation=drawing
    )
    url = f"/api/v1/comments/{comment.pk}/"
    client = client_for(mentor)

    kept = client.patch(url, {"body": "look here"}, format="json")
    assert kept.json()["annotation"] == drawing

    cleared = client.patch(url, {"annotation": None}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["annotation"] is None
    comment.refresh_from_db()
    assert comment.annotation is None
    assert comment.body == "look here"
    assert comment.edited_at is not None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?resolved=maybe", "resolved"),
        ("?resolved=", "resolved"),
        ("?resolved=1", "resolved"),
        ("?author=car%00ol", "author"),
    ],
)
def test_it_refuses_a_filter_value_it_cannot_apply(version, mentor, query, field):
    response = client_for(mentor).get(f"/api/v1/versions/{version.pk}/comments/{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)


def test_the_resolved_filter_says_how_to_use_it(version, mentor):
    response = client_for(mentor).get(f"/api/v1/versions/{version.pk}/comments/?resolved=yes")
    assert response.json() == {"resolved": ["Use resolved=true or resolved=false."]}


def test_the_schema_documents_the_comment_filters(mentor):
    schema = client_for(mentor).get("/api/v1/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/versions/{version_id}/comments/"]["get"]["parameters"]
    types = {p["name"]: p["schema"]["type"] for p in parameters if p["in"] == "query"}
    assert types["resolved"] == "boolean"
    assert types["author"] == "string"


def _seed_threads(version, authors, threads: int):
    for index in range(threads):
        root = services.comment_create(
            version=version, author=authors[index % 2], body=f"@carol {index}", frame=index
        )
        reply = services.comment_create(version=version, author=authors[1], body="reply", parent=root)
        services.comment_create(version=version, author=authors[0], body="deeper", parent=reply)


def test_the_comment_list_runs_a_constant_number_of_queries(version, mentor, reviewer):
    client = client_for(mentor)
    _seed_threads(version, [mentor, reviewer], 2)
    with CaptureQueriesContext(connection) as few:
        assert len(_comments(client, version)) == 2
    _seed_threads(version, [mentor, reviewer], 30)
    with CaptureQueriesContext(connection) as many:
        assert len(_comments(client, version)) == 32

    assert len(many) == len(few)
    assert len(many) <= 12


def test_the_shot_list_runs_a_constant_number_of_queries(project, director):
    from tests.factories import ShotFactory

    client = client_for(director)
    url = f"/api/v1/projects/{project.pk}/shots/"
    for index in range(2):
        VersionFactory(shot=ShotFactory(project=project, code=f"A{index}"), number=1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(20):
        shot = ShotFactory(project=project, code=f"B{index}")
        VersionFactory(shot=shot, number=1)
        VersionFactory(shot=shot, number=2)
    with CaptureQueriesContext(connection) as many:
        shots = client.get(url).json()["results"]

    assert len(shots) == 22
    assert len(many) == len(few)


def test_a_reviewer_may_leave_a_note_but_not_resolve_it(version, reviewer):
    comment = services.comment_create(version=version, author=reviewer, body="mine", frame=1)
    response = client_for(reviewer).patch(
        f"/api/v1/comments/{comment.pk}/", {"resolved": True}, format="json"
    )
    assert response.status_code == 403
    assert "mentor" in response.json()["detail"]


def test_a_shot_says_how_much_of_its_latest_versions_conversation_is_open(project, shot, director, mentor):
    older = VersionFactory(shot=shot, number=1)
    services.comment_create(version=older, author=mentor, body="on the old cut", frame=1)
    latest = VersionFactory(shot=shot, number=2)
    done = services.comment_create(version=latest, author=mentor, body="fixed", frame=1)
    services.comment_create(version=latest, author=director, body="yes", parent=done)
    services.comment_update(comment=done, by=director, resolved=True)
    still = services.comment_create(version=latest, author=mentor, body="slower", frame=5)
    services.comment_create(version=latest, author=director, body="how much?", parent=still)
    services.comment_create(version=latest, author=mentor, body="general", frame=None)
    client = client_for(mentor)

    listed = client.get(f"/api/v1/projects/{project.pk}/shots/").json()["results"][0]["latest_version"]
    detail = client.get(f"/api/v1/shots/{shot.pk}/").json()["latest_version"]

    for summary in (listed, detail):
        assert summary["number"] == 2
        assert summary["comment_count"] == 5
        assert summary["open_thread_count"] == 2

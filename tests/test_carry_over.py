"""Open notes carry onto the next version of a shot, anchored by time, as one thread on both."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import services
from reviews.carry_over import Anchor, carry_open_threads, map_anchor
from reviews.models import CarriedThread, Comment, ProcessingState
from tests.conftest import client_for
from tests.factories import VersionFactory


def _take(shot, number, *, rate=24, frames=48, parent=None, state=ProcessingState.READY):
    return VersionFactory(
        processing_state=state,
        shot=shot,
        number=number,
        fps_numerator=rate,
        fps_denominator=1,
        frame_count=frames,
        duration=frames / rate,
        parent_version=parent,
    )


def _list(client, version, query=""):
    version_id = version["id"] if isinstance(version, dict) else version.pk
    response = client.get(f"/api/v1/versions/{version_id}/comments/{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize(
    ("frame", "frame_end", "expected"),
    [
        (30, None, Anchor(20, None)),  # 1.25 s at 24 fps is 1.25 s at 16 fps
        (31, None, Anchor(20, None)),  # 1.29 s is still on frame 20's screen time
        (36, None, Anchor(None, None, beyond_end=True)),  # 1.5 s: the 1.5 s clip has ended
        (0, 12, Anchor(0, 8)),
        (30, 47, Anchor(20, 23)),  # the range runs off the end: what is left of it
        (40, 44, Anchor(None, None, beyond_end=True)),  # starts at 1.67 s, the clip ends at 1.5 s
        (None, None, Anchor(None, None)),
    ],
)
def test_a_moment_is_mapped_by_seconds_onto_the_new_rate(frame, frame_end, expected):
    anchor = map_anchor(
        frame=frame, frame_end=frame_end, from_rate=Fraction(24), to_rate=Fraction(16), frame_count=24
    )
    assert anchor == expected


def test_ntsc_rates_map_exactly():
    # Frame 30 at 29.97 fps starts at 1.001 s, on screen at 24 fps during frame 24.
    anchor = map_anchor(
        frame=30, frame_end=None, from_rate=Fraction(30000, 1001), to_rate=Fraction(24), frame_count=None
    )
    assert anchor == Anchor(24, None)


@pytest.fixture
def parent(shot):
    return _take(shot, 1, rate=24, frames=48)


@pytest.fixture
def threads(parent, mentor, reviewer, director):
    hand = services.comment_create(
        version=parent, author=mentor, body="hand", frame=30, category="hands_and_body", severity="must_fix"
    )
    services.comment_create(version=parent, author=reviewer, body="agreed", parent=hand)
    services.comment_create(version=parent, author=reviewer, body="overall too dark")
    services.comment_create(version=parent, author=mentor, body="ending drifts", frame=44)
    done = services.comment_create(version=parent, author=mentor, body="fixed already", frame=2)
    services.comment_update(comment=done, by=director, resolved=True)
    return {"hand": hand}


def test_open_threads_appear_on_the_child_marked_from_the_parent_at_the_mapped_frame(
    shot, parent, threads, reviewer
):
    child = _take(shot, 2, rate=16, frames=24, parent=parent)

    assert carry_open_threads(version=child) == 3

    listed = _list(client_for(reviewer), child)
    assert [c["body"] for c in listed] == ["overall too dark", "hand", "ending drifts"]
    general, hand, ending = listed
    assert hand["carried_from"] == {
        "version": parent.pk,
        "number": 1,
        "written_on": 1,
        "frame": 30,
        "frame_end": None,
        "timecode": "00:00:01:06",
        "timecode_end": None,
    }
    assert (hand["frame"], hand["timecode"], hand["beyond_end"]) == (20, "00:00:01:04", False)
    assert hand["category"] == "hands_and_body"
    assert [(r["body"], r["frame"]) for r in hand["replies"]] == [("agreed", 20)]
    assert (general["frame"], general["beyond_end"]) == (None, False)
    assert (ending["frame"], ending["timecode"], ending["beyond_end"]) == (None, None, True)
    # The parent's list is untouched: its threads stay at their own frames, and none says "carried".
    on_parent = _list(client_for(reviewer), parent, "?resolved=false")
    assert [(c["body"], c["frame"], c["carried_from"]) for c in on_parent] == [
        ("overall too dark", None, None),
        ("hand", 30, None),
        ("ending drifts", 44, None),
    ]


def test_resolving_on_the_child_resolves_the_thread_on_both(shot, parent, threads, mentor):
    child = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=child)
    client = client_for(mentor)

    response = client.patch(f"/api/v1/comments/{threads['hand'].pk}/", {"resolved": True}, format="json")

    assert response.status_code == 200
    assert [c["resolved"] for c in _list(client, child) if c["body"] == "hand"] == [True]
    assert [c["resolved"] for c in _list(client, parent) if c["body"] == "hand"] == [True]
    assert [c["body"] for c in _list(client, child, "?resolved=false")] == [
        "overall too dark",
        "ending drifts",
    ]


def test_replying_on_the_child_adds_to_the_same_thread(shot, parent, threads, reviewer):
    child = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=child)
    client = client_for(reviewer)

    response = client.post(
        f"/api/v1/versions/{child.pk}/comments/",
        {"body": "still six fingers in v2", "parent": threads["hand"].pk},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["version"] == parent.pk
    for version in (parent, child):
        [hand] = [c for c in _list(client, version) if c["body"] == "hand"]
        assert [r["body"] for r in hand["replies"]] == ["agreed", "still six fingers in v2"]
    assert Comment.objects.filter(body="hand").count() == 1


def test_a_reply_to_a_thread_not_carried_onto_the_version_is_still_refused(shot, parent, threads, reviewer):
    unrelated = _take(shot, 2)
    response = client_for(reviewer).post(
        f"/api/v1/versions/{unrelated.pk}/comments/",
        {"body": "x", "parent": threads["hand"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert "parent" in response.json()


def test_no_thread_is_carried_twice_when_processing_runs_again_or_a_parent_has_two_children(
    shot, parent, threads
):
    first = _take(shot, 2, rate=16, frames=24, parent=parent)
    second = _take(shot, 3, rate=24, frames=48, parent=parent)

    carry_open_threads(version=first)
    carry_open_threads(version=first)
    carry_open_threads(version=second)

    assert CarriedThread.objects.filter(version=first).count() == 3
    assert CarriedThread.objects.filter(version=second).count() == 3
    assert Comment.objects.count() == 5, "no comment was copied"


def test_without_a_parent_the_shots_previous_version_is_the_source(shot, parent, threads, reviewer):
    child = _take(shot, 2)
    carry_open_threads(version=child)
    assert [c["carried_from"]["number"] for c in _list(client_for(reviewer), child)] == [1, 1, 1]


def test_a_thread_carried_twice_still_says_where_and_when_it_was_written(shot, parent, threads, reviewer):
    second = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=second)
    third = _take(shot, 3, rate=30, frames=30)
    carry_open_threads(version=third)

    ending = next(c for c in _list(client_for(reviewer), third) if c["body"] == "ending drifts")

    assert ending["beyond_end"] is True
    assert ending["frame"] is None
    assert {key: ending["carried_from"][key] for key in ("number", "written_on", "frame", "timecode")} == {
        "number": 2,
        "written_on": 1,
        "frame": 44,
        "timecode": "00:00:01:20",
    }


@pytest.mark.parametrize(
    "state", [ProcessingState.FAILED, ProcessingState.QUEUED, ProcessingState.PROCESSING]
)
def test_a_take_that_is_not_ready_in_the_middle_loses_no_open_note(shot, parent, threads, reviewer, state):
    second = _take(shot, 2)
    carry_open_threads(version=second)
    services.comment_create(version=second, author=reviewer, body="new in v2", frame=3)
    _take(shot, 3, state=state)
    fourth = _take(shot, 4)

    carry_open_threads(version=fourth)

    listed = _list(client_for(reviewer), fourth)
    assert sorted(c["body"] for c in listed) == ["ending drifts", "hand", "new in v2", "overall too dark"]
    assert {c["carried_from"]["number"] for c in listed} == {2}


def test_a_parent_that_is_not_ready_hands_over_its_own_source(shot, parent, threads, reviewer):
    second = _take(shot, 2)
    carry_open_threads(version=second)
    services.comment_create(version=second, author=reviewer, body="new in v2", frame=3)
    third = _take(shot, 3)  # ready, but another branch
    services.comment_create(version=third, author=reviewer, body="only on v3", frame=3)
    failed = _take(shot, 4, state=ProcessingState.FAILED, parent=second)
    orphan_failed = _take(shot, 5, state=ProcessingState.FAILED)
    from_failed_parent = _take(shot, 6, parent=failed)
    from_failed_orphan = _take(shot, 7, parent=orphan_failed)

    carry_open_threads(version=from_failed_parent)
    carry_open_threads(version=from_failed_orphan)

    client = client_for(reviewer)
    assert {(c["body"], c["carried_from"]["number"]) for c in _list(client, from_failed_parent)} == {
        ("hand", 2),
        ("overall too dark", 2),
        ("ending drifts", 2),
        ("new in v2", 2),
    }
    # The failed v5 had no parent: the newest ready take before it, v3 (which carried nothing).
    assert [(c["body"], c["carried_from"]["number"]) for c in _list(client, from_failed_orphan)] == [
        ("only on v3", 3)
    ]


def test_open_threads_carried_onto_the_parent_carry_on_to_its_child(
    shot, parent, threads, director, reviewer
):
    second = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=second)
    services.comment_update(comment=threads["hand"], by=director, resolved=True)
    services.comment_create(version=second, author=reviewer, body="new in v2", frame=3)
    third = _take(shot, 3, rate=24, frames=48)

    carry_open_threads(version=third)

    listed = _list(client_for(reviewer), third)
    assert [(c["body"], c["frame"], c["carried_from"]["number"]) for c in listed] == [
        ("overall too dark", None, 2),
        ("new in v2", 4, 2),
        ("ending drifts", 44, 2),  # mapped from v1's own frame, not from v2's clamp
    ]


def test_open_thread_counts_include_carried_threads_and_follow_their_resolution(
    shot, parent, threads, director, mentor
):
    child = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=child)
    client = client_for(mentor)

    def counts():
        [listed] = client.get(f"/api/v1/projects/{shot.project_id}/shots/").json()["results"]
        return [(v["number"], v["comment_count"], v["open_thread_count"]) for v in listed["versions"]]

    assert counts() == [(1, 5, 3), (2, 0, 3)]
    services.comment_update(comment=threads["hand"], by=director, resolved=True)
    assert counts() == [(1, 5, 2), (2, 0, 2)]


def test_the_list_with_carried_threads_runs_a_constant_number_of_queries(shot, parent, mentor, reviewer):
    def seed(count):
        for index in range(count):
            root = services.comment_create(version=parent, author=mentor, body=f"n{index}", frame=index)
            services.comment_create(version=parent, author=reviewer, body="yes", parent=root)

    child = _take(shot, 2, rate=16, frames=24)
    client = client_for(mentor)
    seed(2)
    carry_open_threads(version=child)
    with CaptureQueriesContext(connection) as few:
        assert len(_list(client, child)) == 2
    seed(20)
    carry_open_threads(version=child)
    with CaptureQueriesContext(connection) as many:
        assert len(_list(client, child)) == 22
    assert len(many) == len(few)


def test_the_next_prompt_of_the_child_lists_its_carried_notes(shot, parent, threads, mentor):
    child = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=child)
    text = client_for(mentor).get(f"/api/v1/versions/{child.pk}/next-prompt/?format=md").content.decode()
    assert "- **Must fix** · 00:00:01:04 · from v1\n\n  ```text\n  hand\n" in text
    assert (
        "- past the end of this clip (was at 00:00:01:20 of v1) · from v1\n\n  ```text\n  ending drifts\n"
        in text
    )


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
def test_a_24_fps_takes_notes_land_on_the_16_fps_child_at_the_same_second(
    celery_worker, shot, director, mentor, tmp_path
):
    from harness import clips
    from harness.media import upload_and_wait, wait_until_processed

    client = client_for(director)
    parent_version, _ = upload_and_wait(
        client, shot.pk, clips.make_video(tmp_path / "v1.mp4", seconds=2, rate="24")
    )
    assert parent_version["media"]["fps"] == 24
    notes = client_for(mentor)
    for body, frame in [("early", 12), ("late", 30), ("after the end", 42)]:
        response = notes.post(
            f"/api/v1/versions/{parent_version['id']}/comments/",
            {"body": body, "frame": frame},
            format="json",
        )
        assert response.status_code == 201, response.content

    child, _ = upload_and_wait(client, shot.pk, clips.make_video(tmp_path / "v2.mp4", seconds=1.5, rate="16"))
    assert child["media"]["fps"] == 16
    assert child["media"]["frame_count"] == 24

    listed = _list(notes, child)
    assert [(c["body"], c["frame"], c["timecode"], c["beyond_end"]) for c in listed] == [
        ("early", 8, "00:00:00:08", False),
        ("late", 20, "00:00:01:04", False),
        ("after the end", None, None, True),
    ]
    assert all(c["carried_from"]["version"] == parent_version["id"] for c in listed)
    assert all(c["carried_from"]["number"] == 1 for c in listed)

    # Processing the child again maps the same threads onto it once.
    assert client.post(f"/api/v1/versions/{child['id']}/reprocess/").status_code == 202
    wait_until_processed(client, child["id"])
    assert [c["frame"] for c in _list(notes, child)] == [8, 20, None]
    assert CarriedThread.objects.filter(version_id=child["id"]).count() == 3


def test_a_carried_thread_stays_when_the_take_it_came_through_is_deleted(shot, parent, threads, reviewer):
    second = _take(shot, 2, rate=16, frames=24)
    carry_open_threads(version=second)
    third = _take(shot, 3, rate=24, frames=48)
    carry_open_threads(version=third)

    services.version_delete(version=second)

    listed = _list(client_for(reviewer), third)
    assert [
        (c["body"], c["frame"], c["carried_from"]["version"], c["carried_from"]["number"]) for c in listed
    ] == [
        ("overall too dark", None, None, 2),
        ("hand", 30, None, 2),
        ("ending drifts", 44, None, 2),
    ]


def test_deleting_a_take_keeps_its_open_notes_on_the_later_take_they_were_carried_onto(
    shot, parent, threads, mentor, reviewer
):
    second = _take(shot, 2, rate=24, frames=48, parent=parent)
    carry_open_threads(version=second)
    # Written on v2: one within v3's length, one past its end, one resolved, with a reply.
    hands = services.comment_create(version=second, author=mentor, body="hands more delicate", frame=12)
    services.comment_create(version=second, author=reviewer, body="yes, slower", parent=hands)
    services.comment_create(version=second, author=mentor, body="the last beat lingers", frame=40)
    done = services.comment_create(version=second, author=mentor, body="sorted", frame=3)
    services.comment_update(comment=done, by=mentor, resolved=True)
    third = _take(shot, 3, rate=16, frames=16, parent=second)  # 1 s at 16 fps
    carry_open_threads(version=third)

    services.version_delete(version=second)

    listed = {c["body"]: c for c in _list(client_for(reviewer), third)}
    moved = listed["hands more delicate"]
    # Now v3's own note, at 0.5 s on its timeline, with its reply.
    assert (moved["version"], moved["frame"], moved["carried_from"]) == (third.pk, 8, None)
    assert [(reply["body"], reply["frame"]) for reply in moved["replies"]] == [("yes, slower", 8)]
    assert Comment.objects.get(body="yes, slower").frame == 8  # stored so, not only shown so
    # Past v3's end: kept, as a general note of v3.
    assert (listed["the last beat lingers"]["frame"], listed["the last beat lingers"]["version"]) == (
        None,
        third.pk,
    )
    # v1's threads still come from v1; the resolved note went with v2.
    assert listed["hand"]["carried_from"]["written_on"] == 1
    assert "sorted" not in listed
    assert not Comment.objects.filter(body="sorted").exists()
    # Resolving it now is resolving it on v3.
    response = client_for(mentor).patch(f"/api/v1/comments/{moved['id']}/", {"resolved": True}, format="json")
    assert response.status_code == 200, response.content

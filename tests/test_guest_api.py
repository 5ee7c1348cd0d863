"""Gina, a guest holding Alice's review link, reviews through the guest API, and nothing more.

She writes notes at a frame or a range with a drawing, and replies; she sees only the
link's versions, never internal notes nor members' emails; she may correct her own
notes but not delete them; revoking or expiring the link cuts her API and her media
links at once. (The director's side and the gate: tests/test_review_links.py.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reviews.models import Comment, EventKind, ReviewLink
from tests.conftest import client_for
from tests.factories import CommentFactory
from tests.test_review_links import create_link, guest_of_link, join, ready_version, takes

__all__ = ["takes"]  # the fixture, shared with tests/test_review_links.py


def test_a_guest_reviews_notes_at_a_frame_range_with_a_drawing_and_replies(takes, project, director):
    browser = guest_of_link(director, project, [takes[0]])
    CommentFactory(version=takes[0], author=director, body="Is the light right?", frame=2)
    url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"
    drawing = {"shapes": [{"type": "arrow", "color": "#ff3b30", "points": [[0.1, 0.1], [0.5, 0.5]]}]}

    note = browser.post(
        url, {"body": "Softer here", "frame": 3, "frame_end": 9, "annotation": drawing}, "application/json"
    )
    top = browser.get(url).json()["results"]
    reply = browser.post(url, {"body": "Yes, lovely", "parent": top[0]["id"]}, "application/json")

    assert note.status_code == 201, note.json()
    assert note.json()["author"]["display_name"] == "guest: Gina"
    assert note.json()["frame"] == 3
    assert note.json()["frame_end"] == 9
    assert note.json()["annotation"] == drawing
    assert note.json()["my_actions"] == ["reply", "edit"]
    assert reply.status_code == 201
    assert reply.json()["frame"] == 2
    stored = Comment.objects.get(pk=note.json()["id"])
    assert stored.author is None
    assert stored.guest.name == "Gina"
    event = project.events.filter(kind=EventKind.COMMENT_CREATED).last()
    assert event.actor is None
    assert event.payload["comment"]["guest"]["name"] == "Gina"


def test_a_guest_sees_only_the_links_versions_and_their_own_project(takes, project, director, shot):
    browser = guest_of_link(director, project, [takes[0]])

    assert browser.get(f"/api/v1/guest/versions/{takes[0].pk}/").status_code == 200
    assert browser.get(f"/api/v1/guest/versions/{takes[1].pk}/").status_code == 404
    assert browser.get(f"/api/v1/guest/versions/{takes[1].pk}/comments/").status_code == 404
    versions = browser.get(f"/api/v1/guest/shots/{shot.pk}/versions/").json()["results"]
    assert [v["id"] for v in versions] == [takes[0].pk]
    assert browser.get(f"/api/v1/guest/projects/{project.pk}/").json()["my_role"] == "guest"
    assert browser.get(f"/api/v1/guest/projects/{project.pk}/members/").json()["results"] == []
    # The members' API does not take a guest session.
    assert browser.get(f"/api/v1/versions/{takes[0].pk}/").status_code in (401, 403)
    assert browser.get("/review/").status_code == 302


def test_internal_notes_and_their_replies_are_hidden_from_guests(takes, project, director, mentor):
    browser = guest_of_link(director, project, [takes[0]])
    members_url = f"/api/v1/versions/{takes[0].pk}/comments/"
    internal = client_for(director).post(
        members_url, {"body": "Client will hate it", "frame": 1, "internal": True}, format="json"
    )
    client_for(mentor).post(members_url, {"body": "Agreed", "parent": internal.json()["id"]}, format="json")
    public = client_for(director).post(
        members_url, {"body": "Please look at the sky", "frame": 2}, format="json"
    )
    private_reply = client_for(mentor).post(
        members_url, {"body": "between us", "parent": public.json()["id"], "internal": True}, format="json"
    )
    reply_patch = client_for(mentor).patch(
        f"/api/v1/comments/{private_reply.json()['id']}/", {"internal": False}, format="json"
    )
    guest_url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"

    seen = browser.get(guest_url).json()["results"]
    answering = browser.post(guest_url, {"body": "ha", "parent": internal.json()["id"]}, "application/json")

    assert internal.json()["internal"] is True
    assert [c["body"] for c in seen] == ["Please look at the sky"]
    assert seen[0]["replies"] == []
    assert reply_patch.status_code == 400
    assert browser.get(f"/api/v1/guest/comments/{internal.json()['id']}/").status_code == 404
    assert answering.status_code == 400
    assert "parent" in answering.json()
    assert Comment.objects.get(body="Agreed").internal is True
    # Making the whole thread internal hides it at once.
    client_for(director).patch(f"/api/v1/comments/{public.json()['id']}/", {"internal": True}, format="json")
    assert browser.get(guest_url).json()["results"] == []


def test_only_a_notes_author_or_a_resolver_marks_it_internal(takes, project, director, reviewer, mentor):
    note = CommentFactory(version=takes[0], author=director, body="Mine", frame=1)
    refused = client_for(reviewer).patch(f"/api/v1/comments/{note.pk}/", {"internal": True}, format="json")
    allowed = client_for(mentor).patch(f"/api/v1/comments/{note.pk}/", {"internal": True}, format="json")
    assert refused.status_code == 403
    assert allowed.status_code == 200
    assert allowed.json()["internal"] is True


def test_guests_never_see_members_emails(takes, project, director, mentor):
    browser = guest_of_link(director, project, [takes[0]])
    CommentFactory(version=takes[0], author=mentor, body="@alice look", frame=1)
    bodies = [
        browser.get("/api/v1/guest/").content,
        browser.get(f"/api/v1/guest/versions/{takes[0].pk}/").content,
        browser.get(f"/api/v1/guest/versions/{takes[0].pk}/comments/").content,
        browser.get(f"/api/v1/guest/projects/{project.pk}/members/").content,
        browser.get(f"/guest/versions/{takes[0].pk}/").content,
    ]
    for body in bodies:
        assert b"@studio.example" not in body


def test_a_guest_cannot_comment_through_a_read_only_link(takes, project, director):
    browser = guest_of_link(director, project, [takes[0]], can_comment=False)
    response = browser.post(
        f"/api/v1/guest/versions/{takes[0].pk}/comments/", {"body": "hi"}, "application/json"
    )
    version = browser.get(f"/api/v1/guest/versions/{takes[0].pk}/").json()
    assert response.status_code == 403
    assert version["my_actions"] == ["read"]
    assert not Comment.objects.exists()


def test_a_guest_edits_their_own_note_but_not_others_nor_deletes(takes, project, director):
    browser = guest_of_link(director, project, [takes[0]])
    mine = browser.post(
        f"/api/v1/guest/versions/{takes[0].pk}/comments/", {"body": "tpyo"}, "application/json"
    ).json()
    alices = CommentFactory(version=takes[0], author=director, body="Director's")

    fixed = browser.patch(f"/api/v1/guest/comments/{mine['id']}/", {"body": "typo"}, "application/json")
    theirs = browser.patch(f"/api/v1/guest/comments/{alices.pk}/", {"body": "mine now"}, "application/json")
    resolve = browser.patch(f"/api/v1/guest/comments/{mine['id']}/", {"resolved": True}, "application/json")
    delete = browser.delete(f"/api/v1/guest/comments/{mine['id']}/")

    assert fixed.status_code == 200
    assert fixed.json()["body"] == "typo"
    assert theirs.status_code == 403
    assert resolve.status_code == 403
    assert delete.status_code == 403
    assert Comment.objects.filter(pk=mine["id"]).exists()


@pytest.mark.parametrize("end", ["revoke", "delete", "expire"])
def test_ending_a_link_cuts_the_guests_api_and_media_at_once(takes, project, director, end):
    link = create_link(director, project, versions=[takes[0].pk])
    browser, _ = join(link["token"])
    version = browser.get(f"/api/v1/guest/versions/{takes[0].pk}/").json()
    proxy, sprite = version["proxy_url"], version["filmstrip"]["url"]
    assert Client().get(proxy, HTTP_RANGE="bytes=0-9").status_code == 206
    assert Client().get(version["filmstrip"]["thumbnails_url"]).status_code == 200

    url = f"/api/v1/projects/{project.pk}/review-links/{link['id']}/"
    if end == "revoke":
        assert (
            client_for(director)
            .patch(url, {"revoked_at": timezone.now().isoformat()}, format="json")
            .status_code
            == 200
        )
    elif end == "delete":
        assert client_for(director).delete(url).status_code == 204
    else:
        ReviewLink.objects.filter(pk=link["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    refused = browser.get(f"/api/v1/guest/versions/{takes[0].pk}/comments/")
    assert refused.status_code == 403
    assert "expired or was revoked" in refused.json()["detail"]
    assert (
        browser.post(
            f"/api/v1/guest/versions/{takes[0].pk}/comments/", {"body": "late"}, "application/json"
        ).status_code
        == 403
    )
    assert Client().get(proxy, HTTP_RANGE="bytes=0-9").status_code == 404
    assert Client().get(sprite).status_code == 404
    assert browser.get("/guest/").status_code == 410
    assert Client().get(f"/r/{link['token']}").status_code == 410
    assert join(link["token"])[1].status_code == 410
    assert not Comment.objects.exists()


def test_a_revoked_link_stays_revoked(takes, project, director):
    link = create_link(director, project, versions=[takes[0].pk])
    url = f"/api/v1/projects/{project.pk}/review-links/{link['id']}/"
    client_for(director).delete(url)
    again = client_for(director).patch(url, {"revoked_at": None}, format="json")
    assert again.status_code == 400
    assert client_for(director).get(url).json()["state"] == "revoked"
    assert project.events.filter(kind=EventKind.REVIEW_LINK_REVOKED).count() == 1


def test_a_guests_lists_cost_the_same_queries_for_few_or_many_notes_and_versions(
    takes, project, director, mentor, shot, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    link = create_link(director, project, versions=[takes[0].pk, takes[1].pk])
    browser, _ = join(link["token"])
    url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"

    def cost(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(path).status_code == 200
        return len(queries)

    def add_notes(count: int) -> None:
        for number in range(count):
            note = CommentFactory(version=takes[0], author=mentor, body=f"note {number}", frame=number)
            browser.post(url, {"body": "reply", "parent": note.pk}, "application/json")

    add_notes(1)
    few_notes, few_versions = cost(url), cost("/api/v1/guest/")
    add_notes(10)
    for number in range(3, 8):
        ready_version(shot, number, settings.MEDIA_ROOT)
    # The shot's latest take joins the playlist: three versions now.
    ReviewLink.objects.get(pk=link["id"]).shots.add(shot)

    assert cost(url) == few_notes
    assert cost("/api/v1/guest/") == few_versions


def test_threads_carried_from_a_take_the_link_does_not_show_stay_hidden(takes, project, director, mentor):
    from reviews.models.notes import CarriedThread

    browser = guest_of_link(director, project, [takes[1]])
    earlier = CommentFactory(version=takes[0], author=mentor, body="On the first take only", frame=3)
    CarriedThread.objects.create(
        thread=earlier, version=takes[1], from_version=takes[0], from_number=1, frame=3
    )

    members = client_for(director).get(f"/api/v1/versions/{takes[1].pk}/comments/").json()["results"]
    guests = browser.get(f"/api/v1/guest/versions/{takes[1].pk}/comments/").json()["results"]

    assert [c["body"] for c in members] == ["On the first take only"]
    assert guests == []
    assert browser.get(f"/api/v1/guest/comments/{earlier.pk}/").status_code == 404


def test_a_reply_written_internal_stays_hidden_when_its_thread_goes_internal_and_public_again(
    takes, project, director, mentor
):
    browser = guest_of_link(director, project, [takes[0]])
    members_url = f"/api/v1/versions/{takes[0].pk}/comments/"
    note = client_for(director).post(members_url, {"body": "Sky", "frame": 1}, format="json").json()
    said = client_for(mentor).post(members_url, {"body": "Agreed", "parent": note["id"]}, format="json")
    private = client_for(mentor).post(
        members_url, {"body": "between us", "parent": note["id"], "internal": True}, format="json"
    )
    note_url = f"/api/v1/comments/{note['id']}/"
    client_for(director).patch(note_url, {"internal": True}, format="json")
    while_internal = client_for(mentor).post(
        members_url, {"body": "written while hidden", "parent": note["id"]}, format="json"
    )
    guest_url = f"/api/v1/guest/versions/{takes[0].pk}/comments/"
    hidden = browser.get(guest_url).json()["results"]
    hidden_reply = browser.get(f"/api/v1/guest/comments/{said.json()['id']}/")
    client_for(director).patch(note_url, {"internal": False}, format="json")

    seen = browser.get(guest_url).json()["results"]
    members_seen = client_for(director).get(members_url).json()["results"]

    assert hidden == []
    assert hidden_reply.status_code == 404
    assert [c["body"] for c in seen] == ["Sky"]
    assert [r["body"] for r in seen[0]["replies"]] == ["Agreed"]
    for reply in (private, while_internal):
        assert browser.get(f"/api/v1/guest/comments/{reply.json()['id']}/").status_code == 404
        answering = browser.post(guest_url, {"body": "ha", "parent": reply.json()["id"]}, "application/json")
        assert answering.status_code == 400
    assert {r["body"]: r["internal"] for r in members_seen[0]["replies"]} == {
        "Agreed": False,
        "between us": True,
        "written while hidden": True,
    }


def test_guests_never_see_how_a_take_was_made(project, director, shot, settings):
    version = ready_version(
        shot,
        1,
        settings.MEDIA_ROOT,
        original_filename="lighthouse_seed4242_wan.mp4",
        note="fixed the hands Bob hated",
        generation={"prompt": "secret prompt"},
        provenance={
            "schema": 1,
            "c2pa": {
                "state": "untrusted",
                "claim_generator": "Generator 1.0",
                "signer": {"issuer": "Studio"},
            },
            "tags": {"comment": "tagged prompt"},
            "comfyui": {
                "positive_prompt": "a lighthouse at dusk",
                "seed": 4242,
                "models": ["wan2.1.safetensors"],
            },
            "filename": {"tool": "Runway", "prompt_start": "lighthouse"},
            "ai_generated": True,
            "proxy": {"credentialed": False, "carries_tags": False},
            "search_text": "a lighthouse at dusk wan2.1.safetensors",
        },
    )
    browser = guest_of_link(director, project, [version])

    answers = [
        browser.get(f"/api/v1/guest/versions/{version.pk}/"),
        browser.get(f"/api/v1/guest/shots/{shot.pk}/versions/"),
        browser.get("/api/v1/guest/"),
    ]
    seen = answers[0].json()

    for answer in answers:
        assert answer.status_code == 200
        for secret in (
            b"lighthouse",
            b"4242",
            b"wan2.1",
            b"hands",
            b"secret prompt",
            b"Generator",
            b"Studio",
        ):
            assert secret not in answer.content
    assert seen["provenance"] == {
        "c2pa": {"state": "untrusted"},
        "ai_generated": True,
        "proxy": {"credentialed": False, "carries_tags": False},
    }
    assert (seen["generation"], seen["original_filename"], seen["note"]) == ({}, "", "")


def test_guests_see_no_lineage_nor_recommendations(takes, project, director, mentor, shot):
    from reviews.models import Recommendation, Version

    Version.objects.filter(pk=takes[1].pk).update(parent_version=takes[0])
    Recommendation.objects.create(version=takes[1], user=mentor)
    browser = guest_of_link(director, project, [takes[1]])
    seen = browser.get(f"/api/v1/guest/versions/{takes[1].pk}/").json()
    assert seen["parent_version"] is None
    assert seen["recommended_by"] == []


def test_a_take_a_shot_link_no_longer_shows_answers_a_sentence_that_says_so(takes, project, director, shot):
    from tests.test_review_links import create_link, join

    link = create_link(director, project, shots=[shot.pk])
    browser, _ = join(link["token"])
    [shown] = [v["id"] for v in browser.get("/api/v1/guest/").json()["versions"]]
    other = next(take for take in takes if take.pk != shown)
    client_for(director).post(
        f"/api/v1/versions/{other.pk}/decision/", {"decision": "selected"}, format="json"
    )

    answer = browser.post(
        f"/api/v1/guest/versions/{shown}/comments/", {"body": "the hand"}, content_type="application/json"
    )

    assert answer.status_code == 404
    assert "Reload the link" in answer.json()["detail"]

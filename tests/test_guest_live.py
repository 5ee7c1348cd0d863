"""A review link guest's live stream: ``GET /api/v1/guest/versions/{id}/events/`` (docs/live.md).

Alice shares SH010 v1 and v2 of "The Hesitation" with Gina (link A) and SH020 v1 with Hal
(link B); SH010 v3 is shared with no one. Gina watches v1. She hears what happens to v1's
public notes and status, as the guest API shows them, and nothing else: not v2, not link B,
not internal notes (nor replies in internal threads), not a note made internal meanwhile, not
members' emails, not on catch-up either. Revoking or expiring her link, taking v1 out of it, or
her session ending closes the stream. Streams are read in this process through AsyncClient
(tests/test_live.py), against the real PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import AsyncClient
from django.utils import timezone

from reviews import review_links, services
from reviews.models import ReviewLink, Version
from tests.conftest import member
from tests.factories import CommentFactory, ProjectFactory, ShotFactory, VersionFactory
from tests.test_live import Stream, on_hub_thread, run
from tests.test_review_links import create_link, join, ready_version

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_live_streams")]


@pytest.fixture
def world(project, shot, director, mentor, settings):
    for person in (director, mentor):
        person.email = f"{person.username}@studio.example"
        person.save(update_fields=["email"])
    v1, v2, v3 = (ready_version(shot, number, settings.MEDIA_ROOT) for number in (1, 2, 3))
    sh020 = ready_version(ShotFactory(project=project, code="SH020"), 1, settings.MEDIA_ROOT)
    link_a = create_link(director, project, versions=[v1.pk, v2.pk])
    create_link(director, project, versions=[sh020.pk])  # link B, Hal's
    gina, _ = join(link_a["token"], "Gina")
    return {
        "v1": v1,
        "v2": v2,
        "unshared": v3,
        "link_b_version": sh020,
        "link_a": ReviewLink.objects.get(pk=link_a["id"]),
        "gina": gina,
    }


def async_client(browser) -> AsyncClient:
    """An AsyncClient holding the same guest session as a (sync) test browser."""
    client = AsyncClient()
    client.cookies = browser.cookies
    return client


def url(version: Version) -> str:
    return f"/api/v1/guest/versions/{version.pk}/events/"


async def note(version, author, body, **fields):
    return await on_hub_thread(
        lambda: services.comment_create(version=version, author=author, body=body, **fields)
    )


async def events_until_closed(stream: Stream, timeout: float = 5) -> list[dict]:
    got = []
    while (event := await stream.next(timeout=timeout)) is not None:
        got.append(event)
        if event["event"] == "stream.closed":
            break
    return got


# --- on connect --------------------------------------------------------------------


def test_a_guest_of_link_a_gets_nothing_for_link_bs_versions_or_versions_outside_the_link(world):
    elsewhere = VersionFactory(shot=ShotFactory(project=ProjectFactory(name="Night Swim")))
    hidden = [world["link_b_version"], world["unshared"], elsewhere]

    async def main():
        client = async_client(world["gina"])
        missing = await client.get("/api/v1/guest/versions/987654321/events/")
        assert missing.status_code == 404
        for version in hidden:
            response = await client.get(url(version))
            assert response.status_code == 404, version
            assert response.content == missing.content

    run(main)


def test_without_a_guest_session_the_stream_is_refused_as_the_guest_api_refuses(world, director):
    async def main():
        response = await AsyncClient().get(url(world["v1"]))
        assert response.status_code == 403
        assert "Open your review link again" in json.loads(response.content)["detail"]
        # A member's session is not a guest's.
        member_client = AsyncClient()
        await on_hub_thread(member_client.force_login, director)
        assert (await member_client.get(url(world["v1"]))).status_code == 403

    run(main)


def test_a_revoked_link_opens_no_stream(world, director):
    review_links.review_link_revoke(link=world["link_a"], by=director)

    async def main():
        response = await async_client(world["gina"]).get(url(world["v1"]))
        assert response.status_code == 403
        assert "expired or was revoked" in json.loads(response.content)["detail"]

    run(main)


def test_a_wsgi_server_answers_503_to_a_guest_only_once_the_version_is_hers(world):
    assert world["gina"].get(url(world["v1"])).status_code == 503
    assert world["gina"].get(url(world["unshared"])).status_code == 404
    assert world["gina"].post(url(world["v1"]), {}, "application/json").status_code == 405


# --- what is sent -------------------------------------------------------------------


def test_a_guest_hears_a_members_note_as_the_guest_api_shows_it_and_nothing_of_other_versions(
    world, mentor, director
):
    sent = {}

    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        assert stream.response["Content-Type"] == "text/event-stream"
        await note(world["v2"], mentor, "On v2, also in her link")
        await note(world["link_b_version"], mentor, "Hal's")
        await note(world["unshared"], mentor, "Nobody's")
        sent["note"] = await note(world["v1"], mentor, "Slower here", frame=12)
        event = await stream.next()
        sent["event"] = event
        status = await on_hub_thread(
            lambda: services.version_update(version=world["v1"], by=director, review_status="approved")
        )
        assert status.review_status == "approved"
        changed = await stream.next()
        assert changed["event"] == "version.review_status_changed"
        assert changed["data"]["payload"] == {
            "version": {"id": world["v1"].pk, "number": 1},
            "shot": {"id": world["v1"].shot_id, "code": world["v1"].shot.code},
            "from": "pending",
            "to": "approved",
        }
        assert await stream.next(timeout=0.6) is None
        sent["raw"] = stream.buffer
        await stream.close()

    run(main)
    event = sent["event"]
    assert event["event"] == "comment.created"
    assert int(event["id"]) == event["data"]["id"]
    # No actor, no member-feed excerpt: the note exactly as GET guest/comments/{id}/ shows it.
    assert set(event["data"]) == {"id", "kind", "created_at", "subject", "payload"}
    shown = world["gina"].get(f"/api/v1/guest/comments/{sent['note'].pk}/").json()
    assert event["data"]["payload"]["comment"] == shown
    assert "@studio.example" not in json.dumps(event)


def test_internal_notes_and_replies_in_internal_threads_are_never_sent(world, director, mentor):
    public = CommentFactory(version=world["v1"], author=director, body="Public", frame=1)

    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        internal = await note(world["v1"], mentor, "Client will hate it", internal=True)
        await note(world["v1"], director, "Agreed", parent=internal)
        await note(world["v1"], mentor, "between us", parent=public, internal=True)
        await on_hub_thread(lambda: services.comment_update(comment=internal, by=mentor, body="Edited"))
        await on_hub_thread(lambda: services.comment_delete(comment=internal, by=director))
        reply = await note(world["v1"], mentor, "Seen it", parent=public)
        event = await stream.next()
        assert (event["event"], event["data"]["payload"]["comment"]["id"]) == ("comment.created", reply.pk)
        assert await stream.next(timeout=0.6) is None
        await stream.close()

    run(main)


def test_a_note_made_internal_while_a_guest_watches_is_not_sent_after_that(world, director, mentor):
    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        watched = await note(world["v1"], mentor, "Warmer light")
        assert (await stream.next())["data"]["payload"]["comment"]["id"] == watched.pk
        await on_hub_thread(lambda: services.comment_update(comment=watched, by=mentor, internal=True))
        # Her page shows it: it is told, by id only, to drop it.
        withdrawn = await stream.next()
        assert withdrawn["event"] == "comment.updated"
        assert withdrawn["data"]["payload"]["comment"] == {"id": watched.pk, "withdrawn": True}
        await note(world["v1"], director, "Not with the client", parent=watched)
        await on_hub_thread(lambda: services.comment_update(comment=watched, by=director, resolved=True))
        await on_hub_thread(
            lambda: services.comment_update(comment=watched, by=mentor, body="Warmer, please")
        )
        later = await note(world["v1"], director, "Anything else?")
        event = await stream.next()
        assert event["data"]["payload"]["comment"]["id"] == later.pk
        await stream.close()

    run(main)


def test_a_note_deleted_with_its_row_is_announced_by_id_only(world, director, mentor):
    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        doomed = await note(world["v1"], mentor, "Take this back")
        await stream.next()
        await on_hub_thread(lambda: services.comment_delete(comment=doomed, by=mentor))
        event = await stream.next()
        assert event["event"] == "comment.deleted"
        assert event["data"]["payload"]["comment"] == {"id": doomed.pk, "deleted": True}
        await stream.close()

    run(main)


def test_catching_up_from_last_event_id_sends_only_what_the_guest_may_read(world, director, mentor):
    async def main():
        client = async_client(world["gina"])
        stream = Stream(await client.get(url(world["v1"])))
        await note(world["v1"], mentor, "Seen live")
        first = await stream.next()
        await stream.close()
        # While she is away.
        await note(world["v1"], mentor, "Internal", internal=True)
        made_internal = await note(world["v1"], mentor, "Public, then internal")
        await on_hub_thread(lambda: services.comment_update(comment=made_internal, by=mentor, internal=True))
        await note(world["v2"], mentor, "Another version")
        await note(world["unshared"], mentor, "Unshared")
        await note(world["link_b_version"], mentor, "Hal's")
        missed = await note(world["v1"], director, "Missed")
        stream = Stream(await client.get(url(world["v1"]), headers={"Last-Event-ID": first["id"]}))
        # The note made internal: never its words, nor its creation; only that it was withdrawn.
        withdrawn = await stream.next()
        assert withdrawn["data"]["payload"]["comment"] == {"id": made_internal.pk, "withdrawn": True}
        event = await stream.next()
        assert event["data"]["payload"]["comment"]["id"] == missed.pk
        assert await stream.next(timeout=0.6) is None
        await stream.close()

    run(main)


def test_progress_reaches_the_guest_of_that_version_only(world, project):
    from reviews import live

    Version.objects.filter(pk__in=[world["v1"].pk, world["unshared"].pk]).update(
        processing_state="processing"
    )

    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        await asyncio.sleep(0.3)  # the hub's subscription is in place
        for version in (world["unshared"], world["v1"]):
            await asyncio.to_thread(
                live.progress_publish,
                project_id=project.pk,
                version_id=version.pk,
                state="processing",
                percent=42,
                force=True,
            )
        event = await stream.next()
        assert event["event"] == "version.progress"
        assert event["data"]["version"] == {"id": world["v1"].pk}
        assert await stream.next(timeout=0.5) is None
        await stream.close()

    run(main)


# --- closing while open ------------------------------------------------------------------


def test_revoking_the_link_closes_the_stream_promptly(world, director, mentor, settings):
    # Not the periodic re-check: the revocation's own event asks for one at once.
    settings.LIVE_RECHECK_SECONDS = 30

    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        await on_hub_thread(lambda: review_links.review_link_revoke(link=world["link_a"], by=director))
        await note(world["v1"], mentor, "After the revocation")
        started = asyncio.get_running_loop().time()
        got = await events_until_closed(stream)
        assert [event["event"] for event in got] == ["stream.closed"]
        assert got[0]["data"]["reason"] == "revoked"
        assert "expired or was revoked" in got[0]["data"]["detail"]
        assert asyncio.get_running_loop().time() - started < 3
        assert await stream.next(timeout=0.5) is None

    run(main)


def test_an_expired_link_closes_the_stream(world, mentor):
    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        # No event marks an expiry: the periodic re-check finds it.
        await on_hub_thread(
            lambda: ReviewLink.objects.filter(pk=world["link_a"].pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
        )
        await note(world["v1"], mentor, "After the expiry")
        got = await events_until_closed(stream)
        assert [event["event"] for event in got] == ["stream.closed"]
        assert got[0]["data"]["reason"] == "revoked"

    run(main)


def test_taking_the_version_out_of_the_link_closes_its_stream(world, director):
    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        await on_hub_thread(
            lambda: review_links.review_link_update(link=world["link_a"], by=director, versions=[world["v2"]])
        )
        got = await events_until_closed(stream)
        assert [event["event"] for event in got] == ["stream.closed"]
        assert got[0]["data"]["reason"] == "removed"

    run(main)


def test_the_guest_session_ending_closes_the_stream(world, settings, mentor):
    async def main():
        stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        key = world["gina"].cookies[settings.SESSION_COOKIE_NAME].value
        await on_hub_thread(lambda: Session.objects.filter(session_key=key).delete())
        # A note posted right after, before the hub's credential check: never sent.
        await note(world["v1"], mentor, "After the session ended")
        got = await events_until_closed(stream)
        assert [event["event"] for event in got] == ["stream.closed"]
        assert got[0]["data"]["reason"] == "signed_out"

    run(main)


def test_a_guest_stream_closes_but_a_members_stream_on_the_version_stays(world, director, mentor):
    """The re-check a revocation triggers ends the guest's stream only."""
    alice_member = member(world["v1"].shot.project, "alice2", "director")

    async def main():
        members = AsyncClient()
        await on_hub_thread(members.force_login, alice_member)
        member_stream = Stream(await members.get(f"/api/v1/versions/{world['v1'].pk}/events/"))
        guest_stream = Stream(await async_client(world["gina"]).get(url(world["v1"])))
        await on_hub_thread(lambda: review_links.review_link_revoke(link=world["link_a"], by=director))
        assert (await events_until_closed(guest_stream))[-1]["event"] == "stream.closed"
        await note(world["v1"], mentor, "Still here")
        event = await member_stream.next()
        assert event["event"] == "comment.created"
        await member_stream.close()

    run(main)


def test_sending_a_burst_costs_the_same_queries_for_one_note_or_many(world, director, mentor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.live_feed import live_event
    from reviews.models import Event
    from reviews.views.guest_live import guest_frames

    guest = world["link_a"].guests.get()

    def cost(count: int) -> int:
        thread = CommentFactory(version=world["v1"], author=director, body="Thread", frame=1)
        for number in range(count):
            services.comment_create(
                version=world["v1"], author=mentor, body=f"@alice {number}", parent=thread if number else None
            )
        rows = Event.objects.order_by("-id")[:count]
        events = [live_event(row) for row in reversed(rows)]
        with CaptureQueriesContext(connection) as queries:
            frames = guest_frames(guest.pk, world["v1"].pk, events)
        assert len(frames) == count
        return len(queries)

    assert cost(1) == cost(5)

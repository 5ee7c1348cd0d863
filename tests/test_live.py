"""Live pages: server-sent event streams of a project's events (docs/live.md), in this process.

The streams are read through Django's AsyncClient, against the real PostgreSQL and Redis;
writes go through the services, on the hub's own thread, while a stream is open.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test import AsyncClient
from django.utils import timezone

from reviews import live, live_feed, services, takes
from reviews.models import Event, EventKind, Membership, ProcessingState
from tests.factories import ProjectFactory, ShotFactory, VersionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_live_streams")]


class Stream:
    """An open event stream, read one server-sent event at a time."""

    def __init__(self, response) -> None:
        self.response = response
        self.chunks = response.streaming_content.__aiter__()
        self.buffer = b""

    async def next(self, timeout: float = 5) -> dict | None:
        """The next event (id, event, data), skipping comments; None if none came within timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            while b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                fields: dict = {}
                for line in block.decode().split("\n"):
                    if line and not line.startswith(":"):
                        name, _, value = line.partition(": ")
                        fields[name] = value
                if "event" in fields:
                    fields["data"] = json.loads(fields["data"])
                    return fields
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return None
            try:
                self.buffer += await asyncio.wait_for(self.chunks.__anext__(), left)
            except TimeoutError:
                return None
            except StopAsyncIteration:
                return None

    async def close(self) -> None:
        await self.chunks.aclose()


async def signed_in(user) -> AsyncClient:
    client = AsyncClient()
    await on_hub_thread(client.force_login, user)
    return client


def run(main) -> None:
    """Run an async test body, then stop this loop's hub (its thread gives back its connection)."""

    async def wrapped():
        try:
            await main()
        finally:
            current = live_feed._hubs.get(asyncio.get_running_loop())
            if current is not None and current.started:
                await current.stop()

    asyncio.run(wrapped())


async def on_hub_thread(function, *args):
    return await live_feed.hub().db(function, *args)


@pytest.fixture
def version(shot):
    return VersionFactory(shot=shot, processing_state=ProcessingState.READY)


# --- authorisation on connect ----------------------------------------------------


def test_it_refuses_a_stream_to_someone_signed_out(project):
    async def main():
        response = await AsyncClient().get(f"/api/v1/projects/{project.pk}/events/")
        assert response.status_code == 401
        assert "detail" in json.loads(response.content)

    run(main)


def test_a_non_member_gets_404_for_the_project_and_version_streams(project, version, outsider):
    async def main():
        client = await signed_in(outsider)
        for url in (f"/api/v1/projects/{project.pk}/events/", f"/api/v1/versions/{version.pk}/events/"):
            response = await client.get(url)
            assert response.status_code == 404, url
            assert json.loads(response.content) == {"detail": "Not found."}

    run(main)


def test_it_accepts_a_token_as_every_api_view_does(project, viewer):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=viewer)

    async def main():
        response = await AsyncClient().get(
            f"/api/v1/projects/{project.pk}/events/", headers={"Authorization": f"Token {token.key}"}
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        await Stream(response).close()

    run(main)


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", str(2**63)])
def test_it_refuses_a_last_event_id_that_is_not_an_event_id(project, director, value):
    async def main():
        response = await (await signed_in(director)).get(
            f"/api/v1/projects/{project.pk}/events/", headers={"Last-Event-ID": value}
        )
        assert response.status_code == 400
        assert "Last-Event-ID" in json.loads(response.content)["detail"]

    run(main)


# --- delivery ----------------------------------------------------------------------


def test_a_member_receives_a_note_posted_after_connecting_with_what_the_page_needs(
    project, version, director, mentor
):
    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/versions/{version.pk}/events/"))
        comment = await on_hub_thread(
            lambda: services.comment_create(version=version, author=mentor, body="Slower here", frame=12)
        )
        event = await stream.next()
        assert event["event"] == "comment.created"
        assert int(event["id"]) == event["data"]["id"]
        assert event["data"]["payload"]["comment"]["id"] == comment.pk
        assert event["data"]["payload"]["version"]["id"] == version.pk
        assert event["data"]["actor"]["username"] == mentor.username
        # The same shape as the activity feed.
        assert set(event["data"]) == {"id", "kind", "created_at", "actor", "subject", "payload"}
        await stream.close()

    run(main)


def test_a_stream_carries_no_event_of_another_project(project, version, director):
    other = ProjectFactory(name="Elsewhere")
    other_version = VersionFactory(shot=ShotFactory(project=other))
    from tests.conftest import member

    stranger = member(other, "frank", "director")

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/projects/{project.pk}/events/"))
        await on_hub_thread(
            lambda: services.comment_create(version=other_version, author=stranger, body="Theirs")
        )
        mine = await on_hub_thread(
            lambda: services.comment_create(version=version, author=director, body="Ours")
        )
        event = await stream.next()
        assert event["data"]["payload"]["comment"]["id"] == mine.pk
        assert await stream.next(timeout=1) is None
        await stream.close()

    run(main)


def test_a_version_stream_carries_only_its_version_and_newer_versions_of_its_shot(
    project, shot, version, director
):
    sibling = VersionFactory(shot=shot)

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/versions/{version.pk}/events/"))
        await on_hub_thread(
            lambda: services.comment_create(version=sibling, author=director, body="Not here")
        )
        await on_hub_thread(
            lambda: services.version_update(version=version, by=director, review_status="approved")
        )
        event = await stream.next()
        assert event["event"] == "version.review_status_changed"
        await stream.close()

    run(main)


def test_a_version_stream_hears_another_take_of_its_shot_being_selected(project, shot, version, director):
    # Selecting the sibling unselects this take: its page must hear it (docs/takes.md).
    sibling = VersionFactory(shot=shot)
    other_shot = VersionFactory(shot=ShotFactory(project=project))

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/versions/{version.pk}/events/"))
        await on_hub_thread(
            lambda: takes.version_decide(version=other_shot, decision="selected", by=director)
        )
        await on_hub_thread(lambda: takes.version_decide(version=sibling, decision="selected", by=director))
        event = await stream.next()
        assert event["event"] == "version.decision_changed"
        assert event["data"]["payload"]["version"]["id"] == sibling.pk
        await stream.close()

    run(main)


def test_a_version_stream_hears_another_take_of_its_shot_being_recommended(
    project, shot, version, director, mentor
):
    # The page's takes menu shows who recommends each take (docs/takes.md).
    sibling = VersionFactory(shot=shot)
    other_shot = VersionFactory(shot=ShotFactory(project=project))

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/versions/{version.pk}/events/"))
        await on_hub_thread(lambda: takes.version_recommend(version=other_shot, by=mentor))
        await on_hub_thread(lambda: takes.version_recommend(version=sibling, by=mentor))
        await on_hub_thread(lambda: takes.version_unrecommend(version=sibling, by=mentor))
        recommended, withdrawn = await stream.next(), await stream.next()
        assert recommended["event"] == "version.recommended"
        assert recommended["data"]["payload"]["version"]["id"] == sibling.pk
        assert withdrawn["event"] == "version.recommendation_withdrawn"
        await stream.close()

    run(main)


def test_reconnecting_with_last_event_id_catches_up_from_the_record(project, version, director, mentor):
    async def main():
        client = await signed_in(director)
        stream = Stream(await client.get(f"/api/v1/projects/{project.pk}/events/"))
        await on_hub_thread(lambda: services.comment_create(version=version, author=mentor, body="One"))
        first = await stream.next()
        await stream.close()
        # Missed while away.
        for body in ("Two", "Three"):
            await on_hub_thread(
                lambda body=body: services.comment_create(version=version, author=mentor, body=body)
            )
        stream = Stream(
            await client.get(f"/api/v1/projects/{project.pk}/events/", headers={"Last-Event-ID": first["id"]})
        )
        caught_up = [await stream.next(), await stream.next()]
        assert [e["data"]["payload"]["comment"]["excerpt"] for e in caught_up] == ["Two", "Three"]
        assert await stream.next(timeout=0.5) is None
        await stream.close()

    run(main)


def test_an_event_that_commits_late_is_not_skipped_by_a_stream_nor_by_a_reconnect(
    project, version, director, mentor
):
    """Event ids are taken before commit: the later id may commit first."""
    holding = threading.Event()
    release = threading.Event()
    late: dict = {}

    def slow_transaction():
        try:
            with transaction.atomic():
                late["comment"] = services.comment_create(version=version, author=mentor, body="Late")
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    async def main():
        client = await signed_in(director)
        stream = Stream(await client.get(f"/api/v1/projects/{project.pk}/events/"))
        writer = threading.Thread(target=slow_transaction)
        writer.start()
        await asyncio.to_thread(holding.wait, 10)
        early = await on_hub_thread(
            lambda: services.comment_create(version=version, author=mentor, body="Early")
        )
        # The early one committed, but waits behind the id still being written.
        assert await stream.next(timeout=0.6) is None
        await stream.close()
        release.set()
        await asyncio.to_thread(writer.join, 10)
        assert late["comment"].pk < early.pk
        # The page reconnects from what it had (nothing from this pair): both come, in id order.
        before = await on_hub_thread(
            lambda: (
                Event.objects.filter(project=project, id__lt=Event.objects.order_by("-id")[1].pk)
                .order_by("-id")
                .values_list("id", flat=True)
                .first()
            )
        )
        stream = Stream(
            await client.get(
                f"/api/v1/projects/{project.pk}/events/", headers={"Last-Event-ID": str(before or 0)}
            )
        )
        got = [await stream.next(), await stream.next()]
        assert [e["data"]["payload"]["comment"]["excerpt"] for e in got] == ["Late", "Early"]
        await stream.close()

    run(main)


def test_a_stream_open_across_a_late_commit_sends_both_events_in_id_order(project, version, director, mentor):
    holding = threading.Event()
    release = threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():
                services.comment_create(version=version, author=mentor, body="Late")
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/projects/{project.pk}/events/"))
        writer = threading.Thread(target=slow_transaction)
        writer.start()
        await asyncio.to_thread(holding.wait, 10)
        await on_hub_thread(lambda: services.comment_create(version=version, author=mentor, body="Early"))
        await asyncio.sleep(0.3)
        release.set()
        await asyncio.to_thread(writer.join, 10)
        got = [await stream.next(), await stream.next()]
        assert [e["data"]["payload"]["comment"]["excerpt"] for e in got] == ["Late", "Early"]
        assert int(got[0]["id"]) < int(got[1]["id"])
        await stream.close()

    run(main)


def test_settle_gives_up_on_a_gap_older_than_the_window(settings):
    settings.LIVE_GAP_MS = 1000
    now = timezone.now()

    def row(pk, age):
        return SimpleNamespace(
            pk=pk, project_id=1, kind="comment.created", payload={}, created_at=now - timedelta(seconds=age)
        )

    original = live_feed.live_event
    live_feed.live_event = lambda event: event  # the frames are not the point here
    try:
        gaps: dict = {}
        wall = now.timestamp()
        # 11 missing, 12 just written: held back.
        assert live_feed.settle(10, [row(12, 0)], gaps, now=100.0, wall=wall) == (10, [])
        # Still missing a little later: still held.
        assert live_feed.settle(10, [row(12, 0)], gaps, now=100.5, wall=wall)[0] == 10
        # Missing for longer than the window (a rolled-back transaction): moved past.
        settled, ready = live_feed.settle(10, [row(12, 0)], gaps, now=101.2, wall=wall)
        assert (settled, [r.pk for r in ready]) == (12, [12])
        assert gaps == {}
        # A gap below an event already older than the window is given up on at once.
        settled, ready = live_feed.settle(12, [row(14, 5)], {}, now=200.0, wall=wall)
        assert settled == 14
    finally:
        live_feed.live_event = original


# --- authorisation while open ------------------------------------------------------


def test_a_removed_members_stream_closes_within_seconds(project, version, director, reviewer):
    async def main():
        stream = Stream(await (await signed_in(reviewer)).get(f"/api/v1/projects/{project.pk}/events/"))
        membership = await on_hub_thread(lambda: Membership.objects.get(project=project, user=reviewer))
        await on_hub_thread(lambda: services.member_remove(membership=membership, by=director))
        kinds = []
        for _ in range(3):
            event = await stream.next(timeout=4)
            if event is None:
                break
            kinds.append(event["event"])
            if event["event"] == "stream.closed":
                assert "no longer" in event["data"]["detail"]
                break
        assert kinds[-1] == "stream.closed"
        # And the stream has ended.
        assert await stream.next(timeout=1) is None

    run(main)


# --- processing progress -------------------------------------------------------------


def test_progress_published_by_the_worker_reaches_the_versions_stream(project, shot, director):
    processing = VersionFactory(shot=shot, processing_state=ProcessingState.PROCESSING)

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/versions/{processing.pk}/events/"))
        await asyncio.sleep(0.3)  # the hub's subscription is in place
        await asyncio.to_thread(
            live.progress_publish,
            project_id=project.pk,
            version_id=processing.pk,
            state=ProcessingState.PROCESSING,
            percent=42,
            force=True,
        )
        event = await stream.next()
        assert event["event"] == "version.progress"
        assert "id" not in event  # progress does not move the client's Last-Event-ID
        assert event["data"] == {"version": {"id": processing.pk}, "state": "processing", "percent": 42}
        await stream.close()

    run(main)


def test_without_redis_streams_read_the_record_and_progress_from_the_database(
    settings, project, shot, version, director, mentor
):
    settings.LIVE_REDIS_URL = ""
    processing = VersionFactory(
        shot=shot, processing_state=ProcessingState.PROCESSING, processing_progress=10
    )

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/projects/{project.pk}/events/"))
        first = await stream.next()
        assert (first["event"], first["data"]["percent"]) == ("version.progress", 10)
        await on_hub_thread(
            lambda: type(processing).objects.filter(pk=processing.pk).update(processing_progress=55)
        )
        moved = await stream.next()
        assert (moved["event"], moved["data"]["percent"]) == ("version.progress", 55)
        comment = await on_hub_thread(
            lambda: services.comment_create(version=version, author=mentor, body="Hi")
        )
        event = await stream.next()
        assert event["data"]["payload"]["comment"]["id"] == comment.pk
        await stream.close()

    run(main)


def test_an_event_publishes_its_wake_up_only_after_commit(project, version, mentor):
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.LIVE_REDIS_URL)
    pubsub = client.pubsub()
    pubsub.subscribe(live.channel(project.pk))
    pubsub.get_message(timeout=1)  # the subscription's confirmation
    with transaction.atomic():
        comment = services.comment_create(version=version, author=mentor, body="Wait for it")
        assert pubsub.get_message(timeout=0.3) is None
    message = pubsub.get_message(timeout=2)
    event_id = Event.objects.get(kind=EventKind.COMMENT_CREATED, subject_id=comment.pk).pk
    assert json.loads(message["data"]) == {"type": "event", "id": event_id}
    pubsub.close()
    client.close()


def test_a_wsgi_server_answers_503_instead_of_buffering_an_endless_stream(client, project, director):
    client.force_login(director)
    response = client.get(f"/api/v1/projects/{project.pk}/events/")
    assert response.status_code == 503
    assert "ASGI" in response.json()["detail"]


def test_a_stream_opened_on_an_empty_record_does_not_wait_for_the_ids_of_deleted_events(
    project, version, director, mentor
):
    # Ids 1..n were used and their events are gone (a deleted project's, say): no gap to wait for.
    for body in ("One", "Two", "Three"):
        services.comment_create(version=version, author=mentor, body=body)
    Event.objects.all().delete()

    async def main():
        stream = Stream(await (await signed_in(director)).get(f"/api/v1/projects/{project.pk}/events/"))
        await on_hub_thread(lambda: services.comment_create(version=version, author=mentor, body="Now"))
        event = await stream.next(timeout=1)  # within the 1.5 s a real gap would be waited for
        assert event["data"]["payload"]["comment"]["excerpt"] == "Now"
        await stream.close()

    run(main)

"""Live streams while open: a credential that stops holding closes them, progress is checked
against the stream's project, and the endpoints answer like the rest of the API (docs/live.md).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import AsyncClient, Client
from rest_framework.authtoken.models import Token

from reviews import live, live_feed, profiles
from reviews.models import ProcessingState
from tests.factories import ProjectFactory, ShotFactory, VersionFactory
from tests.test_live import Stream, on_hub_thread, run, signed_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_live_streams")]


async def closed_frame(stream: Stream) -> dict | None:
    """The stream.closed event the stream ends with (within a few re-checks), or None."""
    for _ in range(5):
        event = await stream.next(timeout=4)
        if event is None:
            return None
        if event["event"] == "stream.closed":
            assert await stream.next(timeout=1) is None, "the stream went on after stream.closed"
            return event["data"]
    return None


def token_stream_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/events/"


# --- a credential that stops holding -------------------------------------------------


def test_signing_out_a_token_closes_its_open_stream(project, viewer):
    token = Token.objects.create(user=viewer)

    async def main():
        response = await AsyncClient().get(
            token_stream_url(project), headers={"Authorization": f"Token {token.key}"}
        )
        stream = Stream(response)

        def sign_out():
            answer = Client().post(
                "/api/v1/auth/logout/",
                content_type="application/json",
                headers={"Authorization": f"Token {token.key}"},
            )
            assert answer.status_code == 204

        await on_hub_thread(sign_out)
        assert (await closed_frame(stream))["reason"] == "signed_out"

    run(main)


def test_deactivating_an_account_closes_its_open_session_stream(project, viewer):
    async def main():
        stream = Stream(await (await signed_in(viewer)).get(token_stream_url(project)))
        await on_hub_thread(lambda: type(viewer).objects.filter(pk=viewer.pk).update(is_active=False))
        assert (await closed_frame(stream))["reason"] == "signed_out"

    run(main)


def test_deactivating_an_account_closes_its_open_token_stream(project, viewer):
    token = Token.objects.create(user=viewer)

    async def main():
        stream = Stream(
            await AsyncClient().get(
                token_stream_url(project), headers={"Authorization": f"Token {token.key}"}
            )
        )
        await on_hub_thread(lambda: type(viewer).objects.filter(pk=viewer.pk).update(is_active=False))
        assert (await closed_frame(stream))["reason"] == "signed_out"

    run(main)


def test_flushing_the_session_closes_its_open_stream_but_not_another_tabs(project, viewer):
    async def main():
        leaving = await signed_in(viewer)
        staying = await signed_in(viewer)
        stream = Stream(await leaving.get(token_stream_url(project)))
        other = Stream(await staying.get(token_stream_url(project)))
        await on_hub_thread(leaving.logout)
        assert (await closed_frame(stream))["reason"] == "signed_out"
        # The other session still holds: its stream stays open.
        assert await other.next(timeout=2.5) is None
        await other.close()

    run(main)


def test_signing_out_everywhere_and_a_password_change_close_open_streams(project, viewer, mentor):
    async def main():
        everywhere = Stream(await (await signed_in(viewer)).get(token_stream_url(project)))
        password = Stream(await (await signed_in(mentor)).get(token_stream_url(project)))
        await on_hub_thread(lambda: profiles.account_sign_out_everywhere(user=viewer))

        def change_password():
            mentor.set_password("an entirely new passphrase")
            mentor.save()

        await on_hub_thread(change_password)
        assert (await closed_frame(everywhere))["reason"] == "signed_out"
        assert (await closed_frame(password))["reason"] == "signed_out"

    run(main)


def test_a_removed_member_is_told_the_reason_removed(project, director, reviewer):
    from reviews import services
    from reviews.models import Membership

    async def main():
        stream = Stream(await (await signed_in(reviewer)).get(token_stream_url(project)))
        membership = await on_hub_thread(lambda: Membership.objects.get(project=project, user=reviewer))
        await on_hub_thread(lambda: services.member_remove(membership=membership, by=director))
        assert (await closed_frame(stream))["reason"] == "removed"

    run(main)


def test_a_stream_that_falls_behind_is_closed_with_the_reason_behind(monkeypatch, project, director):
    monkeypatch.setattr(live_feed, "QUEUE_LIMIT", 2)

    async def main():
        listener = live_feed.Listener(project_id=project.pk, principal=None, reauthorise=lambda: None)
        for _ in range(3):
            listener.offer(b": filler\n\n")
        items = [listener.queue.get_nowait() for _ in range(3)]
        assert items[-1] == live_feed.Closed(items[-1].detail, "behind")

    asyncio.run(main())


# --- progress from pub/sub ------------------------------------------------------------


def test_progress_for_a_version_of_another_project_or_none_is_dropped(project, shot, director):
    processing = VersionFactory(shot=shot, processing_state=ProcessingState.PROCESSING)
    elsewhere = VersionFactory(
        shot=ShotFactory(project=ProjectFactory(name="Elsewhere")),
        processing_state=ProcessingState.PROCESSING,
    )

    async def main():
        stream = Stream(await (await signed_in(director)).get(token_stream_url(project)))
        await asyncio.sleep(0.3)  # the hub's subscription is in place
        for version_id, percent in (
            (elsewhere.pk, 11),
            (processing.pk + elsewhere.pk + 1000, 22),
            (processing.pk, 33),
        ):
            await asyncio.to_thread(
                live.live_publish,
                project.pk,
                {"type": "progress", "version": version_id, "state": "processing", "percent": percent},
            )
        event = await stream.next()
        assert event["event"] == "version.progress"
        assert event["data"] == {"version": {"id": processing.pk}, "state": "processing", "percent": 33}
        await stream.close()

    run(main)


def test_the_default_channel_prefix_differs_between_deployments_sharing_a_redis():
    from reviewsvc.settings import _live_channel_prefix

    here = _live_channel_prefix("reviewsvc", {"ENGINE": "pg", "NAME": "studio_a"}, "secret-a")
    assert here.startswith("reviewsvc:")
    assert here == _live_channel_prefix("reviewsvc", {"ENGINE": "pg", "NAME": "studio_a"}, "secret-a")
    assert here != _live_channel_prefix("reviewsvc", {"ENGINE": "pg", "NAME": "studio_b"}, "secret-a")
    assert here != _live_channel_prefix("reviewsvc", {"ENGINE": "pg", "NAME": "studio_a"}, "secret-b")
    assert "secret-a" not in here


# --- the endpoints' answers -------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_a_write_method_answers_json_405_with_a_token_or_a_session(project, viewer, method):
    token = Token.objects.create(user=viewer)

    async def main():
        # As a browser or script would be: Django's CSRF check on (the test client skips it otherwise).
        session = AsyncClient(enforce_csrf_checks=True)
        await on_hub_thread(session.force_login, viewer)
        by_token = AsyncClient(enforce_csrf_checks=True)
        for client, headers in ((by_token, {"Authorization": f"Token {token.key}"}), (session, {})):
            for url in (token_stream_url(project), "/api/v1/versions/1/events/"):
                response = await getattr(client, method)(
                    url, content_type="application/json", headers=headers
                )
                assert response.status_code == 405, (method, url, response.content)
                assert json.loads(response.content) == {"detail": f'Method "{method.upper()}" not allowed.'}

    run(main)


def test_a_bad_token_is_told_invalid_token_as_by_the_rest_of_the_api(project):
    async def main():
        response = await AsyncClient().get(token_stream_url(project), headers={"Authorization": "Token nope"})
        assert response.status_code == 401
        assert json.loads(response.content) == {"detail": "Invalid token."}

    run(main)

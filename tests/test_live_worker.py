"""Processing progress from a real Celery worker reaches an open event stream (docs/live.md)."""

from __future__ import annotations

import pytest

from harness import clips

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.pipeline
def test_a_real_worker_publishes_progress_and_the_ready_event_to_an_open_stream(
    celery_worker, shot, director, tmp_path, settings
):
    from django.test import AsyncClient

    from harness import media
    from tests.conftest import client_for
    from tests.test_live import Stream, on_hub_thread, run

    settings.LIVE_PROGRESS_MS = 0
    path = clips.make_video(tmp_path / "long.mp4", seconds=6, rate="24")

    async def main():
        client = AsyncClient()
        await on_hub_thread(client.force_login, director)
        stream = Stream(await client.get(f"/api/v1/projects/{shot.project_id}/events/"))
        uploaded = await on_hub_thread(lambda: media.upload(client_for(director), shot.pk, path))
        version_id = uploaded["id"]
        progress, ready = [], None
        for _ in range(200):
            event = await stream.next(timeout=60)
            assert event is not None, "the stream went quiet before the version was ready"
            if event["event"] == "version.progress":
                progress.append(event["data"]["percent"])
            if event["event"] == "version.ready" and event["data"]["payload"]["version"]["id"] == version_id:
                ready = event
                break
        await stream.close()
        assert progress, "no progress message reached the stream"
        assert progress == sorted(progress)
        assert ready is not None

    run(main)

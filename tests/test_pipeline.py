"""The media pipeline end to end: an upload through the API, a real Celery worker
on the real Redis, real ffmpeg, outputs checked with ffprobe."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from harness import clips
from harness.media import ffprobe_json, upload, upload_and_wait, wait_until_processed
from reviews.models import Version
from tests.conftest import client_for

pytestmark = [pytest.mark.slow, pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]

PROBE_ALL = ("-show_streams", "-show_format", "-count_frames")


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sources")
    return lambda kind, **kwargs: clips.make_clip(directory, kind, **kwargs)


def fetch(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    ("kind", "fps", "has_audio"),
    [
        ("h264_aac", 24, True),
        ("prores", 24, True),
        ("vp9", 30000 / 1001, True),
        ("variable_rate", 30, True),
        ("odd_size", 24, True),
        ("portrait", 24, True),
        ("ten_bit", 24, True),
        ("no_audio", 24, False),
        ("gif", 10, False),
        ("rate_12", 12, True),
        ("rate_29_97", 30000 / 1001, True),
    ],
)
def test_a_clip_becomes_a_playable_proxy_poster_and_filmstrip(
    celery_worker, sources, shot, director, tmp_path, kind, fps, has_audio
):
    source = sources(kind)
    client = client_for(director)
    version, progress = upload_and_wait(client, shot.pk, source)

    assert version["processing"] == {
        "state": "ready",
        "progress": 100,
        "error": None,
        "attempts": 1,
        "queue_position": None,
    }
    media = version["media"]
    assert media["fps"] == pytest.approx(fps, abs=0.01)
    assert media["has_audio"] is has_audio
    assert progress == sorted(progress), "progress never goes backwards"

    proxy = tmp_path / "proxy.mp4"
    proxy.write_bytes(fetch(client, version["proxy_url"]))
    probed = ffprobe_json(proxy, *PROBE_ALL)
    video = next(s for s in probed["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert video["width"] % 2 == 0
    assert video["height"] % 2 == 0
    assert video["width"] <= 1280
    assert video["height"] <= 720
    # The proxy's shape follows the clip's display shape (portrait stays portrait).
    assert (video["width"] > video["height"]) == (media["width"] > media["height"])
    num, den = (int(part) for part in video["r_frame_rate"].split("/"))
    assert num / den == pytest.approx(fps, abs=0.01)
    assert abs(int(video["nb_read_frames"]) - media["frame_count"]) <= 1
    audio = [s for s in probed["streams"] if s["codec_type"] == "audio"]
    assert [s["codec_name"] for s in audio] == (["aac"] if has_audio else [])
    data = proxy.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "faststart: the index comes first"

    strip = version["filmstrip"]
    sprite = tmp_path / "strip.jpg"
    sprite.write_bytes(fetch(client, strip["url"]))
    sprite_stream = ffprobe_json(sprite, *PROBE_ALL)["streams"][0]
    assert (sprite_stream["width"], sprite_stream["height"]) == (
        strip["columns"] * strip["tile_width"],
        strip["rows"] * strip["tile_height"],
    )
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(fetch(client, version["poster_url"]))
    assert ffprobe_json(poster, *PROBE_ALL)["streams"][0]["codec_name"] == "mjpeg"
    vtt = fetch(client, strip["thumbnails_url"]).decode()
    assert vtt.startswith("WEBVTT")
    assert "#xywh=0,0," in vtt


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("text", "not a video"),
        ("audio_only", "The file is an audio track, not a video."),
        ("wav", "The file is an audio track, not a video."),
        ("still_png", "still image"),
        ("still_jpeg", "still image"),
        ("hls_as_avi", "playlist"),
        ("concat_as_mp4", "concat"),
    ],
)
def test_what_is_not_a_video_is_refused_in_the_upload_and_uses_no_number(
    sources, shot, director, kind, reason, settings
):
    client = client_for(director)

    response = client.post(
        f"/api/v1/shots/{shot.pk}/versions/",
        {"file": SimpleUploadedFile(sources(kind).name, sources(kind).read_bytes())},
        format="multipart",
    )

    assert response.status_code == 400, response.content
    (error,) = response.json()["file"]
    assert reason in error
    assert "Traceback" not in error
    assert str(settings.MEDIA_ROOT) not in error
    assert not Version.objects.exists()
    originals = Path(settings.MEDIA_ROOT) / "originals"
    assert not originals.exists() or not any(originals.iterdir()), "the refused file is not kept"
    assert upload(client, shot.pk, sources("no_audio"))["number"] == 1, "the refusal used no number"


@pytest.mark.parametrize("kind", ["truncated", "truncated_faststart"])
def test_a_video_cut_short_fails_while_decoding_with_a_reason(
    celery_worker, sources, shot, director, kind, settings
):
    client = client_for(director)
    version, _ = upload_and_wait(client, shot.pk, sources(kind))

    assert version["processing"]["state"] == "failed"
    error = version["processing"]["error"]
    assert error
    assert "Traceback" not in error
    assert version["proxy_url"] is None
    outputs = Path(settings.MEDIA_ROOT) / "versions" / str(version["id"])
    left = sorted(str(path.relative_to(outputs)) for path in outputs.rglob("*")) if outputs.exists() else []
    assert left == [], "no half-written outputs remain"
    assert client.delete(f"/api/v1/versions/{version['id']}/").status_code == 204, "a director may delete it"


def test_a_clip_past_the_limits_fails_before_decoding(celery_worker, sources, shot, director, settings):
    settings.MAX_CLIP_PIXELS = 100 * 100
    client = client_for(director)
    version, _ = upload_and_wait(client, shot.pk, sources("h264_aac"))
    assert version["processing"]["state"] == "failed"
    assert "pixels" in version["processing"]["error"]
    assert version["media"] is None


def test_the_job_is_safe_to_run_twice(celery_worker, sources, shot, director, settings):
    from reviews.tasks import process_version, render_version

    client = client_for(director)
    version_id = upload(client, shot.pk, sources("h264_aac"))["id"]
    wait_until_processed(client, version_id)
    published = Version.objects.get(pk=version_id).outputs_dir

    # A duplicate delivery of either job, or a job of an older run, changes nothing.
    process_version.apply(args=(version_id,))
    render_version.apply(args=(version_id, "an-older-run"))

    version = Version.objects.get(pk=version_id)
    assert (version.processing_state, version.outputs_dir) == ("ready", published)
    outputs = list((Path(settings.MEDIA_ROOT) / "versions" / str(version_id)).iterdir())
    assert [path.name for path in outputs] == [Path(published).name], "one clean set of outputs"


def test_reprocessing_makes_a_fresh_set_and_retires_the_old_links(
    celery_worker, sources, shot, director, settings
):
    client = client_for(director)
    version_id = upload(client, shot.pk, sources("no_audio"))["id"]
    first, _ = wait_until_processed(client, version_id)

    response = client.post(f"/api/v1/versions/{version_id}/reprocess/")
    assert response.status_code == 202
    second, _ = wait_until_processed(client, version_id)

    assert second["processing"]["state"] == "ready"
    assert second["proxy_url"] != first["proxy_url"]
    assert client.get(first["proxy_url"]).status_code == 404
    assert client.get(second["proxy_url"]).status_code == 200
    outputs = list((Path(settings.MEDIA_ROOT) / "versions" / str(version_id)).iterdir())
    assert len(outputs) == 1


def test_a_clip_that_keeps_crashing_its_worker_ends_failed(shot, director, settings):
    from reviews.media import pipeline

    settings.MAX_PROCESSING_ATTEMPTS = 2
    version = Version.objects.create(
        shot=shot, number=1, file="originals/x.mp4", original_filename="x.mp4", size_bytes=1, sha256="0" * 64
    )
    run = pipeline.claim(version.pk)
    # Each redelivery after a worker death comes back here.
    assert pipeline.start_render(version.pk, run)
    assert pipeline.start_render(version.pk, run)
    assert not pipeline.start_render(version.pk, run)

    version.refresh_from_db()
    assert version.processing_state == "failed"
    assert "2 attempts" in version.processing_error


def test_media_links_serve_byte_ranges_for_seeking(celery_worker, sources, shot, director):
    client = client_for(director)
    version, _ = upload_and_wait(client, shot.pk, sources("h264_aac"))
    whole = fetch(client, version["proxy_url"])

    response = client.get(version["proxy_url"], HTTP_RANGE="bytes=100-199")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert b"".join(response.streaming_content) == whole[100:200]


def test_a_tampered_media_link_gets_nothing(celery_worker, sources, shot, director):
    client = client_for(director)
    version, _ = upload_and_wait(client, shot.pk, sources("no_audio"))
    url = version["proxy_url"]
    token = url.split("/media/")[1].split("/")[0]
    forged = url.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert client.get(forged).status_code == 404
    assert client.get(url.replace("proxy.mp4", "poster.jpg")).status_code == 404

"""Every frame addressable, by its content, on files as phones, browsers and editors write them.

Each clip paints its frame numbers into its pictures (harness/numbered_clips.py) and goes through
the real pipeline. Then, frame by frame: the proxy shows the expected number at the time the
API gives for that frame, the middle of the frame maps back to it, the last frame takes a note,
and the poster and every filmstrip tile show the frame their time names.
"""

from __future__ import annotations

import bisect
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from harness import numbered_clips
from harness.media import ffprobe_json, upload_and_wait
from reviews.media import ffprobe
from reviews.media.webvtt import Filmstrip, thumbnails_vtt
from reviews.timecode import clock_time
from tests.conftest import client_for
from tests.test_pipeline import fetch


def frame_starts(path: Path) -> list[float]:
    """When each picture of the proxy shows, in its player's seconds."""
    frames = ffprobe_json(path, "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time")
    return [float(frame["best_effort_timestamp_time"]) for frame in frames["frames"]]


def audio_duration(path: Path) -> float:
    return float(
        ffprobe_json(path, "-select_streams", "a:0", "-show_entries", "stream=duration")["streams"][0][
            "duration"
        ]
    )


def beep_starts_at(path: Path) -> float:
    """When the first sound after silence begins in the proxy."""
    command = ["ffmpeg", "-v", "info", "-nostdin", "-i", str(path), "-map", "0:a"]
    command += ["-af", "silencedetect=noise=-30dB:duration=0.05", "-f", "null", "-"]
    stderr = subprocess.run(command, capture_output=True, check=True, text=True).stderr
    return float(re.search(r"silence_end: ([0-9.]+)", stderr).group(1))


def download(client, url: str, path: Path) -> Path:
    path.write_bytes(fetch(client, url))
    return path


@pytest.mark.slow
@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", numbered_clips.KINDS)
def test_it_shows_every_frame_at_the_time_the_api_gives_for_it(celery_worker, shot, director, tmp_path, kind):
    clip = numbered_clips.make(tmp_path, kind)
    client = client_for(director)

    version, _ = upload_and_wait(client, shot.pk, clip.path)

    assert version["processing"]["state"] == "ready", version["processing"]
    media = version["media"]
    rate = Fraction(media["fps_rational"])
    frame_count = media["frame_count"]
    proxy = download(client, version["proxy_url"], tmp_path / "proxy.mp4")
    shown = numbered_clips.read_numbers(proxy)
    starts = frame_starts(proxy)
    assert frame_count == len(shown) == len(starts)
    assert shown == clip.expected
    assert media["duration"] == pytest.approx(float(frame_count / rate), abs=1e-6)
    # Frame n of the proxy shows from n / fps, the time the API gives for frame n.
    assert starts == pytest.approx([float(n / rate) for n in range(frame_count)], abs=1e-4)
    comments = f"/api/v1/versions/{version['id']}/comments/"
    # Every frame is checked above; through the API (a comment each), both ends and a sample.
    ends = {0, 1, 2, frame_count - 3, frame_count - 2, frame_count - 1}
    for frame in sorted(
        frame
        for frame in {*ends, *range(0, frame_count, max(7, frame_count // 20))}
        if 0 <= frame < frame_count
    ):
        middle = float((frame + Fraction(1, 2)) / rate)
        response = client.post(comments, {"body": "this one", "seconds": middle}, format="json")
        assert response.status_code == 201, response.content
        note = response.json()
        assert note["frame"] == frame
        # The picture on screen at the API's time for the frame is the proxy's frame of that number.
        assert bisect.bisect_right(starts, note["seconds"] + 1e-6) - 1 == frame

    last = client.post(comments, {"body": "the last frame", "frame": frame_count - 1}, format="json")
    past = client.post(comments, {"body": "past the end", "frame": frame_count}, format="json")
    assert last.status_code == 201, last.content
    assert past.status_code == 400

    poster = download(client, version["poster_url"], tmp_path / "poster.jpg")
    assert 0 <= media["poster_frame"] < frame_count
    assert numbered_clips.read_numbers(poster) == [clip.expected[media["poster_frame"]]]

    strip = version["filmstrip"]
    sprite = download(client, strip["url"], tmp_path / "strip.jpg")
    step = round(strip["interval"] * float(rate))
    grid = (strip["columns"], strip["rows"], strip["tile_width"], strip["tile_height"])
    tiles = numbered_clips.read_numbers(sprite, tiles=grid)
    showing = clip.expected[::step]
    assert tiles[: len(showing)] == showing

    cues = re.findall(
        r"(\S+) --> (\S+)\n\S+#xywh=(\d+),(\d+),", fetch(client, strip["thumbnails_url"]).decode()
    )
    assert len(cues) == len(showing)
    for index, (start, end, x, y) in enumerate(cues):
        assert start < end
        assert start == clock_time(index * strip["interval"])
        assert (int(x), int(y)) == (
            index % strip["columns"] * strip["tile_width"],
            index // strip["columns"] * strip["tile_height"],
        )
    assert cues[-1][1] == clock_time(media["duration"])

    assert (media["video_stream_index"], media["video_stream_count"]) == (
        clip.video_stream_index,
        clip.video_stream_count,
    )
    if clip.has_beep:
        # The beep sounds while frame 30 is on screen in the source, and so in the proxy.
        beep_frame = clip.expected.index(numbered_clips.BEEP_FRAME)
        assert beep_starts_at(proxy) == pytest.approx(float(beep_frame / rate), abs=0.01)
        assert audio_duration(proxy) <= media["duration"] + 0.03, "no sound past the last picture"


@pytest.mark.parametrize("frames", range(1, 101))
@pytest.mark.parametrize(
    "written", [float, lambda seconds: round(float(seconds), 6)], ids=["exact", "as_ffprobe_writes"]
)
def test_it_gives_a_23_976_fps_thumbnails_track_a_cue_per_real_tile(frames: int, written) -> None:
    rate = Fraction(24000, 1001)
    columns = min(frames, 10)
    strip = Filmstrip(
        columns=columns, rows=-(-frames // columns), tile_width=160, tile_height=90, interval=float(1 / rate)
    )
    duration = written(frames / rate)

    vtt = thumbnails_vtt(strip, duration=duration, sprite_url="/m/strip.jpg")

    cues = re.findall(r"(\S+) --> (\S+)\n/m/strip.jpg#xywh=(\d+),(\d+),", vtt)
    assert len(cues) == frames
    assert all(start < end for start, end, _, _ in cues)
    assert cues[-1][1] == clock_time(duration)
    assert cues[-1][2:] == (str((frames - 1) % columns * 160), str((frames - 1) // columns * 90))


def test_it_refuses_a_one_frame_gif_as_a_still_image(tmp_path: Path) -> None:
    path = tmp_path / "still.gif"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=red:size=32x32", "-frames:v", "1", str(path)],
        check=True,
    )

    with pytest.raises(ffprobe.MediaError, match=r"^The file is a still image, not a video\.$"):
        ffprobe.probe(path)

from __future__ import annotations

import dataclasses
import functools
import os
import signal
import struct
import subprocess
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from harness.clips import ffconcat_script, growing_picture, hls_playlist, make_clip, make_video
from harness.media import ffprobe_json
from reviews.media import ffmpeg, ffprobe, storage, webvtt
from reviews.media.ffmpeg import Rendered
from reviews.media.ffprobe import MediaError, MediaTimeout, Probe
from reviews.media.webvtt import Filmstrip

# Makes and renders real clips with ffmpeg.
pytestmark = pytest.mark.slow

# Every kind of clip render() must turn into a proxy, poster and filmstrip.
RENDERABLE = [
    "h264_aac",
    "prores",
    "vp9",
    "variable_rate",
    "odd_size",
    "portrait",
    "ten_bit",
    "no_audio",
    "gif",
    "rate_8",
    "rate_12",
    "rate_16",
    "rate_29_97",
]

A_PROBE = Probe(
    format_name="mov,mp4,m4a,3gp,3g2,mj2",
    duration=2.0,
    fps=Fraction(24),
    variable_frame_rate=False,
    frame_count=48,
    width=1920,
    height=1080,
    rotation=0,
    video_codec="h264",
    pix_fmt="yuv420p",
    has_audio=True,
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    directory = tmp_path_factory.mktemp("clips")
    return functools.cache(lambda kind: make_clip(directory, kind))


@pytest.fixture(scope="module")
def rendered(
    clip: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[Probe, Rendered]]:
    def render(kind: str) -> tuple[Probe, Rendered]:
        probe = ffprobe.probe(clip(kind))
        return probe, ffmpeg.render(
            clip(kind), probe, **storage.rendered_paths(tmp_path_factory.mktemp(kind)), timeout=60
        )

    return functools.cache(render)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip that takes ffmpeg about a second to render on a small machine."""
    path = tmp_path_factory.mktemp("long") / "long.mp4"
    return make_video(path, seconds=8, width=640, height=360)


def streams(path: Path, codec_type: str) -> list[dict]:
    info = ffprobe_json(path, "-show_streams")
    return [stream for stream in info["streams"] if stream["codec_type"] == codec_type]


def gray_pixels(path: Path, *, at: float = 0, turn: str = "", size: str = "64x36") -> bytes:
    """The frame at `at` seconds, shrunk and grey, one byte per pixel; `turn` transposes the
    stored picture instead of applying its rotation metadata."""
    rotation = ["-noautorotate"] if turn else []
    seek = ["-ss", str(at)] if at else []
    filters = ",".join([*([f"transpose={turn}"] if turn else []), f"scale={size.replace('x', ':')}"])
    command = ["ffmpeg", "-v", "error", "-nostdin", *rotation, *seek, "-i", str(path)]
    command += ["-frames:v", "1", "-vf", f"{filters},format=gray", "-f", "rawvideo", "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout


def top_level_boxes(path: Path) -> list[str]:
    boxes = []
    with path.open("rb") as mp4:
        while header := mp4.read(8):
            size, name = struct.unpack(">I4s", header)
            boxes.append(name.decode("latin-1"))
            if size == 0:  # the box runs to the end of the file
                break
            if size == 1:  # a 64-bit size follows the name
                size = struct.unpack(">Q", mp4.read(8))[0] - 8
            mp4.seek(size - 8, os.SEEK_CUR)
    return boxes


# probe()


def test_it_reads_an_h264_clip(clip: Callable[[str], Path]) -> None:
    probe = ffprobe.probe(clip("h264_aac"))

    assert probe == dataclasses.replace(A_PROBE, width=320, height=180)


@pytest.mark.parametrize(
    ("kind", "fps"),
    [
        ("rate_8", Fraction(8)),
        ("rate_12", Fraction(12)),
        ("rate_16", Fraction(16)),
        ("rate_29_97", Fraction(30000, 1001)),
        ("vp9", Fraction(30000, 1001)),
        ("prores", Fraction(24)),
        ("gif", Fraction(10)),
    ],
)
def test_it_reads_the_exact_frame_rate(clip: Callable[[str], Path], kind: str, fps: Fraction) -> None:
    probe = ffprobe.probe(clip(kind))

    assert probe.fps == fps
    assert not probe.variable_frame_rate
    assert probe.frame_count == round(2 * fps)


def test_it_counts_the_frames_of_a_webm_that_does_not_say(clip: Callable[[str], Path]) -> None:
    assert "nb_frames" not in streams(clip("vp9"), "video")[0]

    assert ffprobe.probe(clip("vp9")).frame_count == 60


def test_it_normalises_a_variable_frame_rate_to_the_nominal_one(
    clip: Callable[[str], Path],
) -> None:
    probe = ffprobe.probe(clip("variable_rate"))

    assert probe.variable_frame_rate
    assert probe.fps == 30
    # 42 frames stored over 1.9 s; on the 30 fps grid that is 57.
    assert probe.frame_count == 57


def test_it_reports_the_display_size_of_a_rotated_clip(clip: Callable[[str], Path]) -> None:
    probe = ffprobe.probe(clip("portrait"))

    assert (probe.width, probe.height, probe.rotation) == (360, 640, 90)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("odd_size", "width", 1001),
        ("odd_size", "height", 777),
        ("ten_bit", "pix_fmt", "yuv420p10le"),
        ("prores", "video_codec", "prores"),
        ("vp9", "format_name", "matroska,webm"),
        ("gif", "video_codec", "gif"),
        ("no_audio", "has_audio", False),
        ("prores", "has_audio", True),
        ("vp9", "has_audio", True),
    ],
)
def test_it_reads_the_clip(clip: Callable[[str], Path], kind: str, field: str, value: object) -> None:
    assert getattr(ffprobe.probe(clip(kind)), field) == value


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("text", "The file is not a video we can read"),
        ("audio_only", "The file is an audio track, not a video."),
        ("wav", "The file is an audio track, not a video."),
        ("still_png", "The file is a still image, not a video."),
        ("still_jpeg", "The file is a still image, not a video."),
        ("truncated", "The file is cut short (truncated); upload it again."),
        ("hls_as_avi", "The file is a streaming playlist (HLS), not a video"),
        ("concat_as_mp4", "The file is an ffmpeg concat script, not a video"),
    ],
)
def test_it_refuses_what_is_not_a_whole_video(clip: Callable[[str], Path], kind: str, message: str) -> None:
    with pytest.raises(MediaError) as refusal:
        ffprobe.probe(clip(kind))

    assert str(refusal.value).startswith(message)


def test_it_refuses_a_text_file_named_like_a_video(clip: Callable[[str], Path], tmp_path: Path) -> None:
    renamed = tmp_path / "final_cut.mp4"
    renamed.write_bytes(clip("text").read_bytes())

    with pytest.raises(MediaError, match="The file is not a video we can read"):
        ffprobe.probe(renamed)


def test_it_refuses_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mov"
    empty.touch()

    with pytest.raises(MediaError, match="The file is empty"):
        ffprobe.probe(empty)


@pytest.mark.parametrize(("write", "name"), [(hls_playlist, "clip.avi"), (ffconcat_script, "clip.mp4")])
def test_it_never_opens_the_file_a_playlist_or_script_names(
    tmp_path: Path, write: Callable[[Path, Path], Path], name: str
) -> None:
    # Opening a FIFO that nobody writes to blocks, so a reader that follows the reference hangs.
    fifo = tmp_path / "segment.mp4"
    os.mkfifo(fifo)
    disguised = write(tmp_path / name, fifo)
    unguarded = ["ffprobe", "-v", "error", "-protocol_whitelist", "file", str(disguised)]
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(unguarded, capture_output=True, timeout=1)

    with pytest.raises(MediaError) as refusal:
        ffprobe.probe(disguised, timeout=10)

    assert not isinstance(refusal.value, MediaTimeout)


def test_render_refuses_a_playlist_even_if_nobody_probed_it(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    with pytest.raises(MediaError, match="could not be decoded"):
        ffmpeg.render(clip("hls_as_avi"), A_PROBE, **storage.rendered_paths(tmp_path), timeout=10)

    assert not (tmp_path / "proxy.mp4").exists()


# check_limits()


def test_it_accepts_a_clip_within_the_limits() -> None:
    ffprobe.check_limits(A_PROBE, max_duration=2.0, max_pixels=1920 * 1080)


def test_it_refuses_a_clip_longer_than_the_limit() -> None:
    five_hours = dataclasses.replace(A_PROBE, duration=5 * 3600)

    with pytest.raises(MediaError) as refusal:
        ffprobe.check_limits(five_hours, max_duration=2 * 3600, max_pixels=10**9)

    assert str(refusal.value) == "The clip is 5 h long; the limit is 2 h."


def test_it_does_not_round_a_clip_just_over_the_limit_down_to_it() -> None:
    just_over = dataclasses.replace(A_PROBE, duration=2 * 3600 + 0.4)

    with pytest.raises(MediaError, match=r"^The clip is 2 h 00 min 01 s long; the limit is 2 h\.$"):
        ffprobe.check_limits(just_over, max_duration=2 * 3600, max_pixels=10**9)


def test_it_refuses_a_picture_larger_than_the_limit() -> None:
    eight_k = dataclasses.replace(A_PROBE, width=7680, height=4320)

    with pytest.raises(MediaError) as refusal:
        ffprobe.check_limits(eight_k, max_duration=60, max_pixels=3840 * 2160)

    assert str(refusal.value) == (
        "The picture is 7680x4320 (33.2 megapixels); the limit is 8.3 megapixels."
        " Export it smaller and upload that."
    )


# plan_filmstrip(), proxy_size(), thumbnails_vtt()


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [
        (320, 180, (320, 180)),
        (1920, 1080, (1280, 720)),
        (1001, 777, (926, 720)),
        (360, 640, (360, 640)),
        (1080, 1920, (404, 720)),
        (4000, 3000, (960, 720)),
        (321, 181, (320, 180)),
    ],
)
def test_the_proxy_fits_inside_without_upscaling(width: int, height: int, size: tuple[int, int]) -> None:
    assert ffmpeg.proxy_size(dataclasses.replace(A_PROBE, width=width, height=height)) == size


def test_a_short_clip_gets_a_tile_per_frame() -> None:
    assert ffmpeg.plan_filmstrip(A_PROBE) == Filmstrip(
        columns=10, rows=5, tile_width=160, tile_height=90, interval=1 / 24
    )


def test_a_long_clip_gets_at_most_the_maximum_tiles_a_whole_frame_count_apart() -> None:
    two_hours = dataclasses.replace(A_PROBE, duration=7200, frame_count=7200 * 24)

    filmstrip = ffmpeg.plan_filmstrip(two_hours, max_tiles=100)

    assert filmstrip == Filmstrip(columns=10, rows=10, tile_width=160, tile_height=90, interval=72)


def test_filmstrip_tiles_keep_the_aspect_ratio_with_an_even_height() -> None:
    odd = dataclasses.replace(A_PROBE, width=1001, height=777)

    assert ffmpeg.plan_filmstrip(odd, tile_width=160).tile_height == 124


def test_it_writes_a_thumbnails_track_for_the_sprite() -> None:
    filmstrip = Filmstrip(columns=2, rows=2, tile_width=160, tile_height=90, interval=2.0)

    vtt = webvtt.thumbnails_vtt(filmstrip, duration=7.5, sprite_url="/m/strip.jpg")

    assert vtt == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.000\n/m/strip.jpg#xywh=0,0,160,90\n\n"
        "00:00:02.000 --> 00:00:04.000\n/m/strip.jpg#xywh=160,0,160,90\n\n"
        "00:00:04.000 --> 00:00:06.000\n/m/strip.jpg#xywh=0,90,160,90\n\n"
        "00:00:06.000 --> 00:00:07.500\n/m/strip.jpg#xywh=160,90,160,90\n"
    )


# render()


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_proxy_is_h264_high_8_bit_at_an_even_size(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    probe, outputs = rendered(kind)

    [video] = streams(outputs.proxy, "video")

    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (video["width"], video["height"]) == ffmpeg.proxy_size(probe)
    assert (outputs.proxy_width, outputs.proxy_height) == ffmpeg.proxy_size(probe)
    assert video["width"] % 2 == video["height"] % 2 == 0
    assert "side_data_list" not in video  # upright pixels, no rotation left for players


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_proxy_keeps_the_source_frame_rate_and_frames(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    probe, outputs = rendered(kind)

    [video] = streams(outputs.proxy, "video")

    assert Fraction(video["r_frame_rate"]) == probe.fps
    assert Fraction(video["avg_frame_rate"]) == probe.fps
    assert abs(int(video["nb_frames"]) - probe.frame_count) <= 1


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_proxy_has_stereo_aac_when_the_source_has_audio(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    probe, outputs = rendered(kind)

    audio = [(s["codec_name"], s["channels"]) for s in streams(outputs.proxy, "audio")]

    assert audio == ([("aac", 2)] if probe.has_audio else [])


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_proxy_can_start_playing_before_it_has_downloaded(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    _, outputs = rendered(kind)

    boxes = top_level_boxes(outputs.proxy)

    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_proxy_has_a_keyframe_at_least_every_second(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    probe, outputs = rendered(kind)
    packets = ffprobe_json(outputs.proxy, "-select_streams", "v", "-show_entries", "packet=pts_time,flags")

    keyframes = [float(p["pts_time"]) for p in packets["packets"] if "K" in p["flags"]]
    ends = [*keyframes[1:], probe.duration]
    gaps = [later - earlier for earlier, later in zip(keyframes, ends, strict=True)]

    assert keyframes[0] == 0
    assert max(gaps) <= 1.0


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_poster_is_a_proxy_sized_picture_that_is_not_black(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    _, outputs = rendered(kind)

    [picture] = streams(outputs.poster, "video")
    pixels = gray_pixels(outputs.poster)

    assert (picture["width"], picture["height"]) == (outputs.proxy_width, outputs.proxy_height)
    assert sum(pixels) / len(pixels) > 60


def test_the_poster_skips_a_clip_opening_on_black(
    clip: Callable[[str], Path], rendered: Callable[[str], tuple[Probe, Rendered]]
) -> None:
    first_frame = gray_pixels(clip("h264_aac"))
    assert sum(first_frame) / len(first_frame) < 20

    _, outputs = rendered("h264_aac")
    poster = gray_pixels(outputs.poster)

    assert sum(poster) / len(poster) > 60


@pytest.mark.parametrize("kind", RENDERABLE)
def test_the_filmstrip_is_one_sprite_with_the_planned_geometry(
    rendered: Callable[[str], tuple[Probe, Rendered]], kind: str
) -> None:
    probe, outputs = rendered(kind)
    geometry = outputs.filmstrip_geometry

    [sprite] = streams(outputs.filmstrip, "video")

    assert geometry == ffmpeg.plan_filmstrip(probe)
    assert (sprite["width"], sprite["height"]) == (
        geometry.columns * geometry.tile_width,
        geometry.rows * geometry.tile_height,
    )
    assert sorted(path.name for path in outputs.proxy.parent.iterdir()) == [
        "filmstrip.jpg",
        "poster.jpg",
        "proxy.mp4",
    ]


def test_the_portrait_proxy_is_upright(
    clip: Callable[[str], Path], rendered: Callable[[str], tuple[Probe, Rendered]]
) -> None:
    _, outputs = rendered("portrait")
    # The stored landscape frame turned by hand; at 1 s, past the fade-in from black.
    clockwise = gray_pixels(clip("portrait"), at=1, turn="clock", size="36x64")
    anticlockwise = gray_pixels(clip("portrait"), at=1, turn="cclock", size="36x64")
    shown = gray_pixels(outputs.proxy, at=1, size="36x64")

    def distance(a: bytes, b: bytes) -> float:
        return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)

    assert distance(shown, clockwise) < 10 < distance(shown, anticlockwise)


def test_it_reports_where_a_clip_cut_short_stops_decoding(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    source = clip("truncated_faststart")
    probe = ffprobe.probe(source)  # the index at the front still describes the whole clip

    with pytest.raises(MediaError, match=r"^The video could not be decoded past 00:00:0\d\.\d{3}"):
        ffmpeg.render(source, probe, **storage.rendered_paths(tmp_path), timeout=60)


def test_it_refuses_a_picture_that_grows_past_the_limit_after_the_probe(tmp_path: Path) -> None:
    source = growing_picture(tmp_path / "grows.ts", first=(320, 240), then=(640, 480))
    probe = ffprobe.probe(source)
    limit = 320 * 240 * 2
    assert (probe.width, probe.height) == (320, 240)  # the probe sees the first picture only
    ffprobe.check_limits(probe, max_duration=60, max_pixels=limit)
    unbounded, bounded = tmp_path / "unbounded", tmp_path / "bounded"
    unbounded.mkdir()
    bounded.mkdir()

    ffmpeg.render(
        source, probe, **storage.rendered_paths(unbounded), timeout=60
    )  # without a bound, the large frames go through

    with pytest.raises(MediaError, match=r"^The picture grows past 0\.2 megapixels after 00:00:0"):
        ffmpeg.render(source, probe, **storage.rendered_paths(bounded), timeout=60, max_pixels=limit)


def test_it_reports_progress_rising_to_one(
    long_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ffmpeg, "PROGRESS_PERIOD", 0)
    reports: list[float] = []

    ffmpeg.render(
        long_clip,
        ffprobe.probe(long_clip),
        **storage.rendered_paths(tmp_path),
        timeout=60,
        on_progress=reports.append,
    )

    assert len(reports) > 3
    assert reports == sorted(set(reports))
    assert reports[0] > 0
    assert reports[-2] < 1
    assert reports[-1] == 1.0


def test_it_stops_ffmpeg_when_the_progress_callback_fails(long_clip: Path, tmp_path: Path) -> None:
    def fail(fraction: float) -> None:
        raise RuntimeError("database is gone")

    with pytest.raises(RuntimeError, match="database is gone"):
        ffmpeg.render(
            long_clip,
            ffprobe.probe(long_clip),
            **storage.rendered_paths(tmp_path),
            timeout=60,
            on_progress=fail,
        )

    assert not _processes_writing_into(tmp_path)


def test_it_stops_ffmpeg_after_the_timeout(long_clip: Path, tmp_path: Path) -> None:
    probe = ffprobe.probe(long_clip)
    started = time.monotonic()

    with pytest.raises(MediaTimeout, match="took longer than 1 s and was stopped"):
        ffmpeg.render(long_clip, probe, **storage.rendered_paths(tmp_path), timeout=0.3)

    assert time.monotonic() - started < 3
    assert not _processes_writing_into(tmp_path)


def test_it_treats_ffmpeg_killed_from_outside_as_worth_a_retry(
    long_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ffmpeg, "PROGRESS_PERIOD", 0)

    def out_of_memory(fraction: float) -> None:
        for pid in _processes_writing_into(tmp_path):
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(ChildProcessError, match="ffmpeg was killed by signal 9"):
        ffmpeg.render(
            long_clip,
            ffprobe.probe(long_clip),
            **storage.rendered_paths(tmp_path),
            timeout=60,
            on_progress=out_of_memory,
        )


def _processes_writing_into(directory: Path) -> list[int]:
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(directory).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return pids

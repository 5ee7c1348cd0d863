"""Clips whose every frame shows its own number, one per kind of file that has broken frame-exactness.

A frame's number n (its index at 30 fps in the clip as it was made, before any trim or drop)
is painted as three flat grey bands, left to right its hundreds, tens and units, digit d at
luma 16 + 20 * d. Flat areas survive H.264, VP9, JPEG and scaling nearly untouched, so the mean
of a band's middle tells its digit with ten levels to spare.

Clips that have sound carry a short beep while frame 30 is on screen, so sync can be checked
the same way: in the proxy the beep must start when frame 30's picture does.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FFMPEG = "ffmpeg"
WIDTH, HEIGHT = 96, 48
BEEP_FRAME = 30


@dataclass(frozen=True)
class Clip:
    path: Path
    # The number the proxy's frame n must show, for every frame of the proxy.
    expected: list[int]
    has_beep: bool = False
    video_stream_index: int = 0
    video_stream_count: int = 1


def make(directory: Path, kind: str) -> Clip:
    return _KINDS[kind](directory)


def read_numbers(path: Path, *, tiles: tuple[int, int, int, int] | None = None) -> list[int]:
    """The number each picture of `path` shows, in order; with `tiles` = (columns, rows, tile
    width, tile height), the number each tile of a filmstrip sprite shows, row by row."""
    command = [FFMPEG, "-v", "error", "-nostdin", "-i", str(path), "-fps_mode", "passthrough"]
    command += ["-pix_fmt", "gray", "-f", "rawvideo", "-"]
    # gray from a limited-range picture stretches 16..235 to 0..255; the bands are read back
    # in the luma they were painted in.
    data = subprocess.run(command, capture_output=True, check=True, timeout=60).stdout
    if tiles is None:
        size = WIDTH * HEIGHT
        return [_number(data[i : i + size], WIDTH, (0, 0, WIDTH, HEIGHT)) for i in range(0, len(data), size)]
    columns, rows, tile_width, tile_height = tiles
    sprite_width = columns * tile_width
    return [
        _number(
            data,
            sprite_width,
            (i % columns * tile_width, i // columns * tile_height, tile_width, tile_height),
        )
        for i in range(columns * rows)
    ]


def _number(plane: bytes, stride: int, box: tuple[int, int, int, int]) -> int:
    x0, y0, width, height = box
    digits = []
    for band in range(3):
        # The middle of each band, away from the edges that scaling and chroma blur.
        left = x0 + band * width // 3 + width // 12
        right = x0 + (band + 1) * width // 3 - width // 12
        values = [
            plane[y * stride + x]
            for y in range(y0 + height // 4, y0 + 3 * height // 4)
            for x in range(left, right)
        ]
        luma = 16 + sum(values) / len(values) * 219 / 255
        digits.append(round((luma - 16) / 20))
    return digits[0] * 100 + digits[1] * 10 + digits[2]


def _numbered(*, seconds: float, rate: str = "30", first: int = 0) -> list[str]:
    n = f"(N+{first})"
    paint = f"16+20*if(lt(X\\,W/3)\\,floor({n}/100)\\,if(lt(X\\,2*W/3)\\,mod(floor({n}/10)\\,10)\\,mod({n}\\,10)))"
    source = f"color=black:size={WIDTH}x{HEIGHT}:rate={rate}:duration={seconds}"
    return ["-f", "lavfi", "-i", f"{source},format=yuv420p,geq=lum='{paint}':cb=128:cr=128"]


def _beep(*, at: float, seconds: float) -> list[str]:
    """Silence with a tenth of a second of 1 kHz starting `at` seconds in."""
    tone = f"if(between(t\\,{at}\\,{at + 0.1})\\,0.5*sin(2*PI*1000*t)\\,0)"
    return ["-f", "lavfi", "-i", f"aevalsrc='{tone}':sample_rate=48000:duration={seconds}"]


# Frames in the B-frame H.264 of editors, a keyframe every second, as `-c copy` trims meet them.
_H264 = (
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-bf",
    "2",
    "-g",
    "30",
    "-keyint_min",
    "30",
    "-sc_threshold",
    "0",
)


def _ffmpeg(*args: str) -> None:
    command = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make a test clip: {result.stderr.strip()}")


def _three_seconds(directory: Path, name: str = "numbered.mp4", *, first: int = 0) -> Path:
    path = directory / name
    _ffmpeg(*_numbered(seconds=3, first=first), *_H264, str(path))
    return path


def _video_after_audio(directory: Path) -> Clip:
    # A phone's video track starting half a second after its sound; frame 30 shows at 1.5 s.
    sound = directory / "sound.wav"
    _ffmpeg(*_beep(at=1.5, seconds=3.5), str(sound))
    path = directory / "video_after_audio.mp4"
    _ffmpeg(
        *("-itsoffset", "0.5", "-i", str(_three_seconds(directory)), "-i", str(sound)),
        *("-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(path)),
    )
    return Clip(path, list(range(90)), has_beep=True)


def _trimmed(extension: str) -> Callable[[Path], Clip]:
    def make(directory: Path) -> Clip:
        # Cut at 1.5 s without re-encoding: the edit list hides frames 30-44, which the
        # frames from 45 on need to be decoded.
        path = directory / f"trimmed.{extension}"
        _ffmpeg("-ss", "1.5", "-i", str(_three_seconds(directory)), "-c", "copy", str(path))
        return Clip(path, list(range(45, 90)))

    return make


def _slow_end(directory: Path) -> Clip:
    # 30 fps for two seconds, then every other frame (15 fps) for the last one; the file gives
    # its last frame a 30 fps duration, as encoders that cannot see ahead do.
    path = directory / "slow_end.mp4"
    _ffmpeg(
        *_numbered(seconds=3),
        *("-vf", "select='lt(n\\,60)+not(mod(n\\,2))'", "-fps_mode", "vfr", *_H264, str(path)),
    )
    return Clip(path, [n if n < 60 else n - n % 2 for n in range(89)])


def _live_webm(directory: Path) -> Clip:
    # MediaRecorder and screen recorders write WebM as they go, with no duration in the header.
    path = directory / "live.webm"
    _ffmpeg(
        *_numbered(seconds=2),
        *(
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-live",
            "1",
            "-f",
            "webm",
            str(path),
        ),
    )
    return Clip(path, list(range(60)))


def _one_frame(directory: Path) -> Clip:
    path = directory / "one_frame.mp4"
    _ffmpeg(*_numbered(seconds=1, first=7), "-frames:v", "1", *_H264, str(path))
    return Clip(path, [7])


def _ntsc_film(directory: Path) -> Clip:
    path = directory / "ntsc_film.mp4"
    _ffmpeg(*_numbered(seconds=3, rate="24000/1001"), "-frames:v", "48", *_H264, str(path))
    return Clip(path, list(range(48)))


def _negative_start(directory: Path) -> Clip:
    # Opus's encoder delay starts the sound before zero; here the sound also starts 0.4 s before
    # the picture, its beep at 1.4 s of its own landing on frame 30 (1.0 s).
    path = directory / "negative_start.webm"
    _ffmpeg(
        *_numbered(seconds=2),
        *("-itsoffset", "-0.4", *_beep(at=1.4, seconds=2.4)),
        *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", str(path)),
    )
    return Clip(path, list(range(60)), has_beep=True)


def _audio_longer(directory: Path) -> Clip:
    path = directory / "audio_longer.mp4"
    _ffmpeg(*_numbered(seconds=3), *_beep(at=1.0, seconds=4), *_H264, "-c:a", "aac", str(path))
    return Clip(path, list(range(90)), has_beep=True)


def _video_not_first(directory: Path) -> Clip:
    path = directory / "video_not_first.mov"
    _ffmpeg(
        *_numbered(seconds=3),
        *_beep(at=1.0, seconds=3),
        *("-map", "1:a", "-map", "0:v", *_H264, "-c:a", "aac", str(path)),
    )
    return Clip(path, list(range(90)), has_beep=True, video_stream_index=1)


def _two_video_streams(directory: Path) -> Clip:
    # The first stream (numbered from 200) is an alternate; the second is marked default.
    path = directory / "two_video_streams.mp4"
    _ffmpeg(
        *_numbered(seconds=2, first=200),
        *_numbered(seconds=3),
        *("-map", "0:v", "-map", "1:v", *_H264),
        *("-disposition:v:0", "0", "-disposition:v:1", "default", str(path)),
    )
    return Clip(path, list(range(90)), video_stream_index=1, video_stream_count=2)


def _wrapping_timestamps(directory: Path) -> Clip:
    # MPEG-TS clocks are 33 bits of 90 kHz: they wrap to zero after 95443.7 s, here 0.2 s in.
    path = directory / "wrapping.ts"
    _ffmpeg(
        *("-i", str(_three_seconds(directory)), "-c", "copy"),
        *("-output_ts_offset", "95443.5", "-f", "mpegts", str(path)),
    )
    return Clip(path, list(range(90)))


def _jumping_timestamps(directory: Path) -> Clip:
    # A recorder that lost eleven seconds: frames 30 on are stamped 11 s late. Players hold
    # frame 29 over the gap, and so must the proxy (ffmpeg itself closes gaps over 10 s in
    # MPEG-TS, which would leave the probe's count and the proxy's apart).
    path = directory / "jumping.ts"
    _ffmpeg(
        *_numbered(seconds=2),
        *("-vf", "setpts=(N+330*gte(N\\,30))/(30*TB)", "-fps_mode", "passthrough", *_H264),
        *("-f", "mpegts", str(path)),
    )
    return Clip(path, [n if n < 30 else 29 if n < 360 else n - 330 for n in range(390)])


def _negative_start_mkv(*, b_frames: bool) -> Callable[[Path], Clip]:
    def make(directory: Path) -> Clip:
        # Matroska shifted 0.7 s before zero, as `-output_ts_offset` and some editors write it.
        # ffmpeg's Matroska reader gives the pictures before zero no timestamp at all (the
        # sound keeps its negative ones): frame 21 is the first picture it dates.
        source = directory / "negative_start_source.mp4"
        encoder = _H264 if b_frames else (*_H264[:4], "-bf", "0", *_H264[6:])
        _ffmpeg(*_numbered(seconds=3), *_beep(at=1.0, seconds=3), *encoder, "-c:a", "aac", str(source))
        path = directory / "negative_start.mkv"
        _ffmpeg(
            *("-i", str(source), "-c", "copy"),
            *("-output_ts_offset", "-0.7", "-avoid_negative_ts", "disabled", str(path)),
        )
        return Clip(path, list(range(90)), has_beep=True)

    return make


_KINDS: dict[str, Callable[[Path], Clip]] = {
    "video_after_audio": _video_after_audio,
    "trimmed_mp4": _trimmed("mp4"),
    "slow_end": _slow_end,
    "live_webm": _live_webm,
    "one_frame": _one_frame,
    "ntsc_film": _ntsc_film,
    "negative_start": _negative_start,
    "mov_edit_list": _trimmed("mov"),
    "audio_longer": _audio_longer,
    "video_not_first": _video_not_first,
    "two_video_streams": _two_video_streams,
    "wrapping_timestamps": _wrapping_timestamps,
    "jumping_timestamps": _jumping_timestamps,
    "negative_start_mkv": _negative_start_mkv(b_frames=True),
    "negative_start_mkv_no_b_frames": _negative_start_mkv(b_frames=False),
}
KINDS = tuple(_KINDS)

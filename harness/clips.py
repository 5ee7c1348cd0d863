"""Small clips made at test time with ffmpeg's lavfi sources, one per kind of upload we meet.

Every video fades in from black over its first half second, as generated clips often do, so a
poster taken from the first frame would be black. Sizes and lengths are small to keep tests fast.
"""

from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

FFMPEG = "ffmpeg"


def make_video(
    path: Path,
    *,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 180,
    rate: str = "24",
    audio: bool = True,
    faststart: bool = False,
) -> Path:
    """An H.264 + AAC MP4 of testsrc2 and a sine tone, its index at the end as most encoders
    leave it; benchmarks ask for width=1920, height=1080."""
    _ffmpeg(
        *_picture(seconds, width, height, rate),
        *(_tone(seconds) if audio else []),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
        *(["-c:a", "aac"] if audio else []),
        *(["-movflags", "+faststart"] if faststart else []),
        *("-t", str(seconds), str(path)),
    )
    return path


def make_large_video(
    path: Path, *, size: int, width: int = 1920, height: int = 1080, rate: str = "24", timeout: float = 1800
) -> Path:
    """An H.264 + AAC MP4 of exactly `size` bytes, for upload benchmarks: testsrc2 under heavy
    noise, which does not compress (at CRF 4 about 2.5 MB a 1080p frame, so 2 GiB is ~35 s of
    1080p24, made in about as long on two cores).

    ffmpeg's file size limit (-fs) stops it a little short of `size` (the index and the last
    packet come after the check), and an MP4 `free` box, which readers skip, fills the rest.
    Raises RuntimeError if ffmpeg fails or overshoots.
    """
    margin = 16 * 1024**2  # more than a 1080p frame of noise and the index of a few thousand
    if size <= 2 * margin:
        raise ValueError(f"make_large_video is for large files; {size} bytes is too small")
    noisy = f"testsrc2=size={width}x{height}:rate={rate},noise=alls=60:allf=t+u"
    _ffmpeg(
        *("-f", "lavfi", "-i", noisy),
        *("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-crf", "4", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-fs", str(size - margin), "-f", "mp4", str(path)),
        timeout=timeout,
    )
    fill = size - path.stat().st_size
    if fill < 8:
        raise RuntimeError(f"ffmpeg wrote {path.stat().st_size} bytes, past the {size} asked for")
    with path.open("ab") as clip:
        clip.write(struct.pack(">I4s", fill, b"free"))
        rest = fill - 8
        while rest:
            rest -= clip.write(bytes(min(rest, 1024**2)))
    return path


def make_clip(directory: Path, kind: str, *, seconds: float = 2.0) -> Path:
    """Write a clip of `kind` (one of KINDS) into directory and return its path."""
    file_name, write = _KINDS[kind]
    path = directory / file_name
    write(path, seconds)
    return path


def growing_picture(
    path: Path, *, first: tuple[int, int] = (320, 240), then: tuple[int, int] = (640, 480)
) -> Path:
    """An MPEG-TS clip whose picture switches from `first` to `then` a second in: two H.264
    streams back to back, as a crafted file hides a flood from a probe that reads the start."""
    parts = []
    for index, (width, height) in enumerate((first, then)):
        part = path.with_suffix(f".part{index}.ts")
        _ffmpeg(
            *_picture(1, width, height, "24"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            *("-output_ts_offset", str(index), "-f", "mpegts", str(part)),
        )
        parts.append(part)
    path.write_bytes(b"".join(part.read_bytes() for part in parts))
    for part in parts:
        part.unlink()
    return path


def hls_playlist(path: Path, target: Path) -> Path:
    """An HLS playlist whose one segment is `target`; ffmpeg finds it whatever `path` is named."""
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n")
    return path


def ffconcat_script(path: Path, target: Path) -> Path:
    """An ffconcat script that plays `target`; ffmpeg only follows names relative to the script."""
    path.write_text(f"ffconcat version 1.0\nfile '{os.path.relpath(target, path.parent)}'\n")
    return path


def _picture(seconds: float, width: int, height: int, rate: str) -> list[str]:
    source = f"testsrc2=size={width}x{height}:rate={rate}:duration={seconds}"
    return ["-f", "lavfi", "-i", f"{source},fade=t=in:duration=0.5"]


def _tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]


def _ffmpeg(*args: str, timeout: float = 120) -> None:
    command = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make a test clip: {result.stderr.strip()}")


def _prores(path: Path, seconds: float) -> None:
    _ffmpeg(
        *_picture(seconds, 320, 180, "24"),
        *_tone(seconds),
        *("-c:v", "prores_ks", "-profile:v", "proxy", "-c:a", "pcm_s24le", "-f", "mov", str(path)),
    )


def _vp9(path: Path, seconds: float) -> None:
    # WebM keeps millisecond timestamps, which 30000/1001 fps does not divide evenly.
    _ffmpeg(
        *_picture(seconds, 320, 180, "30000/1001"),
        *_tone(seconds),
        *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus"),
        *("-f", "webm", str(path)),
    )


def _variable_rate(path: Path, seconds: float) -> None:
    # 30 fps with 3 frames in every 10 dropped and the gaps kept, as a phone under load writes.
    _ffmpeg(
        *_picture(seconds, 320, 180, "30"),
        *_tone(seconds),
        *("-vf", "select='lt(mod(n,10),7)'", "-fps_mode", "vfr"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mp4", str(path)),
    )


def _odd_size(path: Path, seconds: float) -> None:
    # testsrc2 and 4:2:0 both need even sizes; 4:4:4 H.264 carries 1001x777 as is.
    _ffmpeg(
        *_picture(seconds, 1000, 776, "24"),
        *_tone(seconds),
        *("-vf", "scale=1001:777", "-pix_fmt", "yuv444p"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f", "mp4", str(path)),
    )


def _portrait(path: Path, seconds: float) -> None:
    # A phone held upright stores landscape pixels plus a matrix turning them 90° clockwise.
    # ffmpeg 5.1 only writes the matrix when copying, and its rotate tag counts anticlockwise.
    landscape = make_video(
        path.with_name(f"{path.stem}-landscape.mp4"), seconds=seconds, width=640, height=360
    )
    _ffmpeg("-i", str(landscape), "-c", "copy", "-metadata:s:v:0", "rotate=270", str(path))
    landscape.unlink()


def _ten_bit(path: Path, seconds: float) -> None:
    _ffmpeg(
        *_picture(seconds, 320, 180, "24"),
        *_tone(seconds),
        *("-pix_fmt", "yuv420p10le", "-c:v", "libx264", "-profile:v", "high10"),
        *("-preset", "ultrafast", "-c:a", "aac", "-f", "mp4", str(path)),
    )


def _cut_in_half(path: Path, seconds: float, *, faststart: bool) -> None:
    whole = make_video(path.with_name(f"{path.stem}-whole.mp4"), seconds=seconds, faststart=faststart)
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    whole.unlink()


def _audio_only(path: Path, seconds: float) -> None:
    # Music files carry cover art as a one-picture video stream; that is still audio only.
    _ffmpeg(
        *_tone(seconds),
        *("-f", "lavfi", "-i", "testsrc2=size=320x320,trim=end_frame=1"),
        *("-map", "0:a", "-map", "1:v", "-c:a", "aac", "-c:v", "png"),
        *("-disposition:v", "attached_pic", "-f", "mp4", str(path)),
    )


def _still(path: Path, seconds: float) -> None:
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", "-update", "1", str(path))


def _disguised(write: Callable[[Path, Path], Path]) -> Callable[[Path, float], None]:
    def make(path: Path, seconds: float) -> None:
        target = make_video(path.with_name(f"{path.stem}-target.mp4"), seconds=seconds)
        write(path, target)

    return make


def _gif(path: Path, seconds: float) -> None:
    _ffmpeg(*_picture(seconds, 320, 180, "10"), "-f", "gif", str(path))


def _rate(rate: str) -> Callable[[Path, float], None]:
    def make(path: Path, seconds: float) -> None:
        make_video(path, seconds=seconds, rate=rate)

    return make


_KINDS: dict[str, tuple[str, Callable[[Path, float], None]]] = {
    "h264_aac": ("h264_aac.mp4", lambda path, seconds: make_video(path, seconds=seconds)),
    "prores": ("prores.mov", _prores),
    "vp9": ("vp9.webm", _vp9),
    "variable_rate": ("variable_rate.mp4", _variable_rate),
    "odd_size": ("odd_size.mp4", _odd_size),
    "portrait": ("portrait.mp4", _portrait),
    "ten_bit": ("ten_bit.mp4", _ten_bit),
    "no_audio": (
        "no_audio.mp4",
        lambda path, seconds: make_video(path, seconds=seconds, audio=False),
    ),
    "gif": ("animated.gif", _gif),
    "rate_8": ("rate_8.mp4", _rate("8")),
    "rate_12": ("rate_12.mp4", _rate("12")),
    "rate_16": ("rate_16.mp4", _rate("16")),
    "rate_29_97": ("rate_29_97.mp4", _rate("30000/1001")),
    # moov comes last unless faststart, so the first half has frames but no index
    "truncated": ("truncated.mp4", lambda path, seconds: _cut_in_half(path, seconds, faststart=False)),
    # the index survives at the front but points past the end of the data
    "truncated_faststart": (
        "truncated_faststart.mp4",
        lambda path, seconds: _cut_in_half(path, seconds, faststart=True),
    ),
    "text": ("notes.txt", lambda path, seconds: path.write_text("Shot list\n1. Wide\n2. Close\n")),
    "audio_only": ("audio_only.m4a", _audio_only),
    "wav": ("audio.wav", lambda path, seconds: _ffmpeg(*_tone(seconds), str(path))),
    "still_png": ("still.png", _still),
    "still_jpeg": ("still.jpg", _still),
    "hls_as_avi": ("playlist.avi", _disguised(hls_playlist)),
    "concat_as_mp4": ("concat.mp4", _disguised(ffconcat_script)),
}
KINDS = tuple(_KINDS)

"""ffmpeg for uploaded clips: one decode makes the proxy, the poster and the filmstrip.

The file was probed first (reviews.media.ffprobe), and is read the same guarded way. The
caller names the output files (reviews.media.storage); this module only receives paths.
"""

from __future__ import annotations

import dataclasses
import errno
import math
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reviews.media import children
from reviews.media.ffprobe import (
    MediaError,
    MediaTimeout,
    Probe,
    count_frames,
    last_line,
    spoken_duration,
    untrusted_input,
)
from reviews.media.webvtt import Filmstrip
from reviews.timecode import clock_time

FFMPEG = "ffmpeg"

# Least time between two progress reports, in seconds: callers store them.
PROGRESS_PERIOD = 1.0
FILMSTRIP_COLUMNS = 10
# Longer than any clip the limits let through.
_NEVER_SECONDS = 10**7


@dataclass(frozen=True)
class Rendered:
    proxy: Path
    poster: Path
    filmstrip: Path
    filmstrip_geometry: Filmstrip
    proxy_width: int
    proxy_height: int
    # The clip's timeline is the proxy's: frame n of it shows at n / fps, frame 0 at 0. These
    # are counted on the proxy once written, so the API, the page and the player cannot differ.
    frame_count: int = 0
    duration: float = 0.0
    poster_frame: int = 0


def plan_filmstrip(probe: Probe, *, max_tiles: int = 100, tile_width: int = 160) -> Filmstrip:
    # Tiles sit a whole number of frames apart, so each shows an exact frame of the proxy.
    step = math.ceil(probe.frame_count / max_tiles)
    tiles = math.ceil(probe.frame_count / step)
    columns = min(tiles, FILMSTRIP_COLUMNS)
    return Filmstrip(
        columns=columns,
        rows=math.ceil(tiles / columns),
        tile_width=tile_width,
        tile_height=_even(tile_width * probe.height / probe.width),
        interval=float(step / probe.fps),
    )


def proxy_size(probe: Probe, *, max_width: int = 1280, max_height: int = 720) -> tuple[int, int]:
    scale = min(Fraction(1), Fraction(max_width, probe.width), Fraction(max_height, probe.height))
    return _even(probe.width * scale), _even(probe.height * scale)


def render(
    source: Path,
    probe: Probe,
    *,
    proxy: Path,
    poster: Path,
    filmstrip: Path,
    max_width: int = 1280,
    max_height: int = 720,
    timeout: float,
    on_progress: Callable[[float], None] | None = None,
    threads: int = 2,
    max_pixels: int | None = None,
) -> Rendered:
    """Write the proxy (MP4), the poster and the filmstrip (JPEG) to the given paths in one decode.

    Raises MediaError (a sentence for the person who uploaded the clip) when the clip cannot be
    converted, MediaTimeout past `timeout` seconds, OSError when the disk is full and
    ChildProcessError when ffmpeg was killed from outside (worth a retry).

    `threads` is per ffmpeg run: a worker's concurrency times it should not exceed its cores.
    `max_pixels` bounds every decoded picture, not only the first one the probe saw: a stream
    can switch to a far larger size halfway through.
    """
    width, height = proxy_size(probe, max_width=max_width, max_height=max_height)
    rendered = Rendered(
        proxy=proxy,
        poster=poster,
        filmstrip=filmstrip,
        filmstrip_geometry=plan_filmstrip(probe),
        proxy_width=width,
        proxy_height=height,
    )
    frames, poster_time = _run_ffmpeg(
        _render_command(source, probe, rendered, threads=threads, max_pixels=max_pixels),
        frame_count=probe.frame_count,
        fps=probe.fps,
        timeout=timeout,
        on_progress=on_progress,
        max_pixels=max_pixels,
    )
    # ffmpeg exits cleanly when the data simply stops, as in an upload cut short.
    outputs = (rendered.proxy, rendered.poster, rendered.filmstrip)
    missing = probe.frame_count - frames
    if missing > max(2, probe.frame_count // 50) or not all(p.exists() and p.stat().st_size for p in outputs):
        raise MediaError(_damaged(frames / probe.fps))
    frame_count = count_frames(rendered.proxy, timeout=timeout)
    if on_progress is not None:
        on_progress(1.0)
    return dataclasses.replace(
        rendered,
        frame_count=frame_count,
        duration=float(frame_count / probe.fps),
        poster_frame=min(round(poster_time * probe.fps), frame_count - 1),
    )


def _decoder_pixels(probe: Probe, max_pixels: int) -> int:
    # Decoders round the width up to their memory alignment before checking, so a clip the
    # probe passed must keep some slack; a picture flood is orders of magnitude beyond it.
    return max(max_pixels, (probe.width + 64) * (probe.height + 64))


def _render_command(
    source: Path, probe: Probe, rendered: Rendered, *, threads: int, max_pixels: int | None = None
) -> list[str]:
    strip = rendered.filmstrip_geometry
    step = round(Fraction(strip.interval) * probe.fps)
    # The poster is the most typical frame (thumbnail filter) of about a second at a third of
    # the way in: the first frame of a clip is often black or a title.
    window = min(max(2, round(probe.fps)), 30, probe.frame_count)
    # (thumbnail= needs a set of two, and picks from what it got when the frames run out.)
    first = min(probe.frame_count // 3, probe.frame_count - window)
    # Pictures the file leaves undated (Matroska before zero) get guessed times that fps= would
    # drop and repeat frames over; a constant-rate clip's picture n simply shows at n / fps.
    dates = (
        f"N*{probe.fps.denominator}/({probe.fps.numerator}*TB)" if probe.dated_by_order else "PTS-STARTPTS"
    )
    graph = [
        # The first picture goes to 0, then fps= makes the stream constant-rate at the source's
        # own rate, so frame n of every output is frame n of the proxy and shows at n / fps; a
        # rate equal to the source's keeps every frame, a variable one is held on its grid.
        f"[0:{probe.video_stream}]setpts={dates}"
        f",fps={probe.fps.numerator}/{probe.fps.denominator}"
        f",scale={rendered.proxy_width}:{rendered.proxy_height},setsar=1,format=yuv420p"
        ",split=3[proxy][poster_in][strip_in]",
        f"[poster_in]trim=start_frame={first}:end_frame={first + window},thumbnail=n={max(2, window)}[poster]",
        f"[strip_in]framestep={step},scale={strip.tile_width}:{strip.tile_height}"
        f",tile={strip.columns}x{strip.rows}[strip]",
    ]
    audio = []
    if probe.has_audio:
        # The sound moves with the first picture so it stays in sync: what plays before the
        # first picture (a phone's video track starting after its audio) is cut, a gap before
        # it becomes silence, and what plays after the last picture is cut.
        graph.append(
            f"[0:a:0]asetpts=PTS-{probe.start:.6f}/TB,aresample=async=1:first_pts=0"
            f",atrim=end={float(probe.frame_count / probe.fps):.6f}[audio]"
        )
        audio = ["-map", "[audio]", "-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    still = ["-frames:v", "1", "-update", "1", "-fps_mode", "passthrough", "-c:v", "mjpeg"]
    return [
        *(FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"),
        # -progress stays silent until every output has started, and the filmstrip starts at
        # the very end; the per-frame encoder statistics flow from the first frame.
        *("-nostats", "-vstats_file", "/dev/stdout", "-vstats_version", "2"),
        *("-threads", str(threads)),
        *(("-max_pixels", str(_decoder_pixels(probe, max_pixels))) if max_pixels else ()),
        # A picture shows at its timestamp, as the probe counted it: ffmpeg would otherwise
        # close a gap of over 10 s in MPEG-TS timestamps while holding a frame over a shorter one.
        *("-dts_delta_threshold", str(_NEVER_SECONDS)),
        *untrusted_input(source),
        *("-filter_complex", ";".join(graph), "-filter_complex_threads", str(threads)),
        *("-map", "[proxy]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23"),
        *("-profile:v", "high", "-g", str(max(1, math.floor(probe.fps))), "-threads", str(threads)),
        *("-fps_mode", "passthrough", *audio),
        # Phones put the shooting location in metadata; a review copy has no use for it.
        *("-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart"),
        *("-f", "mp4", f"file:{rendered.proxy.resolve()}"),
        *("-map", "[poster]", *still, "-q:v", "3", "-f", "image2"),
        f"file:{rendered.poster.resolve()}",
        *("-map", "[strip]", *still, "-q:v", "5", "-f", "image2"),
        f"file:{rendered.filmstrip.resolve()}",
    ]


def _run_ffmpeg(
    command: list[str],
    *,
    frame_count: int,
    fps: Fraction,
    timeout: float,
    on_progress: Callable[[float], None] | None,
    max_pixels: int | None = None,
) -> tuple[int, float]:
    """Run ffmpeg with its encoder statistics on stdout; return the frames of its first output
    (the proxy) and the time of the picture its second output (the poster) shows."""
    stderr_tail: deque[str] = deque(maxlen=20)
    expired = threading.Event()
    with children.popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:

        def expire() -> None:
            expired.set()
            process.kill()

        watchdog = threading.Timer(timeout, expire)
        stderr_reader = threading.Thread(target=stderr_tail.extend, args=(process.stderr,))
        watchdog.start()
        stderr_reader.start()
        frames, poster_time, reported, reported_at = 0, 0.0, 0.0, -math.inf
        try:
            # One line per encoded frame, "out=  0 st=  0 frame=  41 ... time= 1.708 ..."; output 0
            # is the proxy, output 1 the poster, which keeps the time of the frame it was taken from.
            # The callback runs on the caller's thread: it may well write to a database.
            for line in process.stdout:
                if line.startswith("out=  1 "):
                    poster_time = _vstats_time(line)
                if not line.startswith("out=  0 "):
                    continue
                frames += 1
                # 1.0 is left for render() to report once it has checked the outputs.
                fraction = min(0.99, frames / frame_count)
                due = time.monotonic() - reported_at >= PROGRESS_PERIOD
                if on_progress is not None and due and fraction > reported:
                    reported, reported_at = fraction, time.monotonic()
                    on_progress(fraction)
            process.wait()
        finally:
            watchdog.cancel()
            if process.returncode is None:  # the callback raised; don't leave ffmpeg running
                process.kill()
                process.wait()
            stderr_reader.join()

    if expired.is_set():
        raise MediaTimeout(
            f"Converting the video took longer than {spoken_duration(timeout)} and was stopped;"
            " try a shorter or smaller file."
        )
    stderr = "".join(stderr_tail)
    if "No space left on device" in stderr:
        raise OSError(errno.ENOSPC, f"ffmpeg ran out of disk space: {last_line(stderr)}")
    if max_pixels and "exceeds specified max pixel count" in stderr:
        # The decoder refuses such pictures and ffmpeg goes on without them.
        raise MediaError(
            f"The picture grows past {max_pixels / 1e6:.1f} megapixels after"
            f" {clock_time(frames / fps)}, though it starts smaller."
            " Export the clip at one size within the limit and upload that."
        )
    if process.returncode < 0:  # killed by someone else, e.g. the OOM killer: worth a retry
        raise ChildProcessError(f"ffmpeg was killed by signal {-process.returncode}")
    if process.returncode != 0:
        raise MediaError(f"{_damaged(frames / fps)} ffmpeg said: {last_line(stderr)}")
    return frames, poster_time


def _vstats_time(line: str) -> float:
    found = re.search(r" time= *(-?[0-9.]+)", line)
    return float(found.group(1)) if found else 0.0


def _damaged(seconds: float) -> str:
    return f"The video could not be decoded past {clock_time(seconds)} (the file may be damaged)."


def _even(value: float | Fraction) -> int:
    return max(2, int(value) // 2 * 2)

"""ffprobe and ffmpeg wrappers for uploaded clips: build the argument list, run with a timeout, parse.

Uploads are untrusted. Every invocation reads through the `file` protocol only and through an
allow-list of demuxers, because a text file that ffmpeg recognises as an HLS playlist or a concat
script makes it open whatever files that text names (e.g. /etc/passwd or another user's upload).
"""

from __future__ import annotations

import errno
import json
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

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"

# The demuxers an upload may be read with. None of them opens other files or URLs; hls, dash,
# concat and image2 (which expands file-name patterns) are deliberately absent. The audio and
# still-image ones are there so that probe() can say what the file is when it refuses it.
DEMUXERS = (
    *("mov", "matroska", "avi", "gif", "apng", "mpegts", "mpeg", "flv", "mxf", "asf", "ogg"),
    *("wav", "mp3", "flac", "aac", "png_pipe", "jpeg_pipe"),
)

# Least time between two progress reports, in seconds: callers store them.
PROGRESS_PERIOD = 1.0

# A variable-rate clip is normalised to the rate its frames were meant to sit on. ffprobe's
# r_frame_rate is the rate all timestamps fit on: that rate for phone and AI-tool output with
# dropped or held frames (30 for a 30 fps clip missing frames). When it is implausibly high (a
# timestamp clock, e.g. 1000 from millisecond timestamps), the average rate snapped to the nearest
# common rate is used instead.
MAX_NOMINAL_RATE = Fraction(60)
COMMON_RATES = (
    *map(Fraction, (8, 10, 12, 15, 16, 24, 25, 30, 48, 50, 60)),
    *(Fraction(rate * 1000, 1001) for rate in (24, 30, 60)),
    Fraction(25, 2),
)
FILMSTRIP_COLUMNS = 10

NOT_A_VIDEO = "The file is not a video we can read; export it as MP4 (H.264) or MOV and upload that."
STILL_IMAGE = "The file is a still image, not a video."
TRUNCATED = "The file is cut short (truncated); upload it again."
_REFUSED_FORMATS = {
    "hls": "The file is a streaming playlist (HLS), not a video; upload the video file itself.",
    "concat": "The file is an ffmpeg concat script, not a video; upload the video file itself.",
    "image2": STILL_IMAGE,
    "tty": NOT_A_VIDEO,
}
# Top-level MP4/MOV boxes a file can start with: such a file without a moov box was cut short.
_MP4_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid"}


class MediaError(Exception):
    """A permanent problem with the uploaded file; str(e) is a sentence a film person can act on."""


class MediaTimeout(MediaError):
    """ffprobe or ffmpeg ran past its wall-clock limit and was killed."""


@dataclass(frozen=True)
class Probe:
    format_name: str
    duration: float
    fps: Fraction  # nominal rate; the proxy is encoded at exactly this constant rate
    variable_frame_rate: bool
    frame_count: int  # frames the proxy will have (for VFR: duration times fps)
    width: int  # display size, after sample aspect ratio and rotation
    height: int
    rotation: int  # clockwise degrees the stored picture is turned for display
    video_codec: str
    pix_fmt: str
    has_audio: bool


@dataclass(frozen=True)
class Filmstrip:
    columns: int
    rows: int
    tile_width: int
    tile_height: int
    interval: float  # tile i shows the frame at i * interval seconds


@dataclass(frozen=True)
class Rendered:
    proxy: Path
    poster: Path
    filmstrip: Path
    filmstrip_geometry: Filmstrip
    proxy_width: int
    proxy_height: int


def probe(path: Path, *, timeout: float = 60) -> Probe:
    with path.open("rb") as upload:  # a missing file is the caller's bug, not a MediaError
        head = upload.read(8)
    if not head:
        raise MediaError("The file is empty; upload it again.")
    entries = (
        "format=format_name,duration"
        ":stream=index,codec_type,codec_name,width,height,pix_fmt,sample_aspect_ratio"
        ",r_frame_rate,avg_frame_rate,nb_frames,duration"
        ":stream_disposition=attached_pic:stream_side_data=rotation"
    )
    info = json.loads(_ffprobe(path, head, ["-show_entries", entries], timeout=timeout))
    format_name = info["format"]["format_name"]
    if format_name.endswith("_pipe"):
        raise MediaError(STILL_IMAGE)
    streams = info.get("streams", [])
    has_audio = any(stream["codec_type"] == "audio" for stream in streams)
    # Cover art in an audio file is a video stream marked as an attached picture.
    video = next(
        (
            stream
            for stream in streams
            if stream["codec_type"] == "video" and not stream["disposition"]["attached_pic"]
        ),
        None,
    )
    if video is None:
        raise MediaError(
            "The file is an audio track, not a video."
            if has_audio
            else "The file has no video in it; upload the video file itself."
        )
    if not video.get("width") or not video.get("height"):  # ffmpeg has no decoder for it
        raise MediaError(
            "The video in the file uses a format we cannot decode;"
            " export it as MP4 (H.264) or MOV and upload that."
        )

    # ffprobe leaves out what it does not know; Matroska only knows the container's duration.
    duration = float(video.get("duration") or info["format"].get("duration") or 0)
    if not duration:
        raise MediaError("The file does not say how long it is; export it again and upload that.")
    fps, variable = _nominal_rate(video)
    if variable:
        frame_count = round(duration * fps)
    else:
        frame_count = int(video.get("nb_frames") or 0) or _count_packets(path, video, timeout)
    if frame_count <= 1:
        raise MediaError(STILL_IMAGE)

    rotation = _rotation(video)
    sar = _ratio(video.get("sample_aspect_ratio", "1:1"), ":") or Fraction(1)
    width, height = round(video["width"] * sar), video["height"]
    if rotation in (90, 270):
        width, height = height, width
    return Probe(
        format_name=format_name,
        duration=duration,
        fps=fps,
        variable_frame_rate=variable,
        frame_count=frame_count,
        width=width,
        height=height,
        rotation=rotation,
        video_codec=video.get("codec_name", ""),
        pix_fmt=video.get("pix_fmt", ""),
        has_audio=has_audio,
    )


def check_limits(probe: Probe, *, max_duration: float, max_pixels: int) -> None:
    if probe.duration > max_duration:
        raise MediaError(
            f"The clip is {_spoken_duration(probe.duration)} long;"
            f" the limit is {_spoken_duration(max_duration)}."
        )
    if probe.width * probe.height > max_pixels:
        raise MediaError(
            f"The picture is {probe.width}x{probe.height}"
            f" ({probe.width * probe.height / 1e6:.1f} megapixels);"
            f" the limit is {max_pixels / 1e6:.1f} megapixels. Export it smaller and upload that."
        )


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
    out_dir: Path,
    *,
    max_width: int = 1280,
    max_height: int = 720,
    timeout: float,
    on_progress: Callable[[float], None] | None = None,
    threads: int = 2,
    max_pixels: int | None = None,
) -> Rendered:
    """Write proxy.mp4, poster.jpg and filmstrip.jpg into out_dir in one decode of the source.

    `threads` is per ffmpeg run: a worker's concurrency times it should not exceed its cores.
    `max_pixels` bounds every decoded picture, not only the first one the probe saw: a stream
    can switch to a far larger size halfway through.
    """
    width, height = proxy_size(probe, max_width=max_width, max_height=max_height)
    rendered = Rendered(
        proxy=out_dir / "proxy.mp4",
        poster=out_dir / "poster.jpg",
        filmstrip=out_dir / "filmstrip.jpg",
        filmstrip_geometry=plan_filmstrip(probe),
        proxy_width=width,
        proxy_height=height,
    )
    frames = _run_ffmpeg(
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
    if on_progress is not None:
        on_progress(1.0)
    return rendered


def thumbnails_vtt(filmstrip: Filmstrip, *, duration: float, sprite_url: str) -> str:
    cues = ["WEBVTT"]
    for index in range(filmstrip.columns * filmstrip.rows):
        start = index * filmstrip.interval
        if start >= duration:
            break
        end = min(start + filmstrip.interval, duration)
        x = index % filmstrip.columns * filmstrip.tile_width
        y = index // filmstrip.columns * filmstrip.tile_height
        cues.append(
            f"{_timecode(start)} --> {_timecode(end)}\n"
            f"{sprite_url}#xywh={x},{y},{filmstrip.tile_width},{filmstrip.tile_height}"
        )
    return "\n\n".join(cues) + "\n"


def _untrusted_input(path: Path) -> list[str]:
    # An absolute path behind "file:" cannot be read as another protocol or as an option.
    return [
        *("-protocol_whitelist", "file", "-format_whitelist", ",".join(DEMUXERS)),
        *("-i", f"file:{path.resolve()}"),
    ]


def _ffprobe(path: Path, head: bytes, args: list[str], *, timeout: float) -> str:
    command = [FFPROBE, "-v", "error", "-threads", "1", "-of", "json", *args]
    command += _untrusted_input(path)
    try:
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise MediaTimeout(
            f"Reading the file took longer than {_spoken_duration(timeout)};"
            " it may be damaged. Export it again and upload that."
        ) from None
    if result.returncode != 0:
        raise _probe_refusal(head, result.stderr)
    return result.stdout


def _probe_refusal(head: bytes, stderr: str) -> MediaError:
    # ffmpeg prefixes the refusal with the name of the demuxer it recognised.
    refused = re.search(r"\[(\S+) @ 0x[0-9a-f]+\] Format not on whitelist", stderr)
    if refused:
        name = refused.group(1)
        if name.endswith("_pipe"):
            return MediaError(STILL_IMAGE)
        return MediaError(
            _REFUSED_FORMATS.get(
                name,
                f"Files in the {name} format are not accepted;"
                " export it as MP4 (H.264) or MOV and upload that.",
            )
        )
    # ffmpeg picks the MP4 reader for any file named .mp4, so look at the bytes before
    # calling a file without a moov box cut short.
    if "moov atom not found" in stderr and head[4:8] in _MP4_FIRST_BOXES:
        return MediaError(TRUNCATED)
    if "moov atom not found" in stderr or "Invalid data found" in stderr:
        return MediaError(NOT_A_VIDEO)
    return MediaError(f"The file could not be read as a video ({_last_line(stderr)}).")


def _count_packets(path: Path, video: dict, timeout: float) -> int:
    # Matroska/WebM headers carry no frame count. Counting packets demuxes without decoding.
    args = ["-count_packets", "-select_streams", str(video["index"])]
    output = _ffprobe(path, b"", [*args, "-show_entries", "stream=nb_read_packets"], timeout=timeout)
    return int(json.loads(output)["streams"][0].get("nb_read_packets") or 0)


def _nominal_rate(video: dict) -> tuple[Fraction, bool]:
    real = _ratio(video.get("r_frame_rate"), "/")
    average = _ratio(video.get("avg_frame_rate"), "/")
    if real is None or average is None:
        rate = real or average
        if rate is None:
            raise MediaError("The file does not say its frame rate; export it again and upload that.")
        return rate, False
    # avg_frame_rate is derived from durations, so allow for rounding; 30 vs 30000/1001 still differ.
    if abs(average - real) <= real / 2000:
        return real, False
    if real <= MAX_NOMINAL_RATE:
        return real, True
    return min(COMMON_RATES, key=lambda rate: abs(rate - average)), True


def _rotation(video: dict) -> int:
    # ffprobe reports the display matrix's counter-clockwise angle; phones write -90 for portrait.
    for side_data in video.get("side_data_list", []):
        if "rotation" in side_data:
            return round(-float(side_data["rotation"]) / 90) * 90 % 360
    return 0


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
    first = min(probe.frame_count // 3, probe.frame_count - window)
    graph = ";".join(
        [
            # fps= makes the stream constant-rate at the source's own rate, so frame n of every
            # output is frame n of the proxy; a rate equal to the source's keeps every frame.
            f"[0:v]fps={probe.fps.numerator}/{probe.fps.denominator}"
            f",scale={rendered.proxy_width}:{rendered.proxy_height},setsar=1,format=yuv420p"
            ",split=3[proxy][poster_in][strip_in]",
            f"[poster_in]trim=start_frame={first}:end_frame={first + window},thumbnail=n={window}[poster]",
            f"[strip_in]framestep={step},scale={strip.tile_width}:{strip.tile_height}"
            f",tile={strip.columns}x{strip.rows}[strip]",
        ]
    )
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2"] if probe.has_audio else []
    still = ["-frames:v", "1", "-update", "1", "-fps_mode", "passthrough", "-c:v", "mjpeg"]
    return [
        *(FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"),
        # -progress stays silent until every output has started, and the filmstrip starts at
        # the very end; the per-frame encoder statistics flow from the first frame.
        *("-nostats", "-vstats_file", "/dev/stdout", "-vstats_version", "2"),
        *("-threads", str(threads)),
        *(("-max_pixels", str(_decoder_pixels(probe, max_pixels))) if max_pixels else ()),
        *_untrusted_input(source),
        *("-filter_complex", graph, "-filter_complex_threads", str(threads)),
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
) -> int:
    """Run ffmpeg with its encoder statistics on stdout; return the frames of its first output."""
    stderr_tail: deque[str] = deque(maxlen=20)
    expired = threading.Event()
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:

        def expire() -> None:
            expired.set()
            process.kill()

        watchdog = threading.Timer(timeout, expire)
        stderr_reader = threading.Thread(target=stderr_tail.extend, args=(process.stderr,))
        watchdog.start()
        stderr_reader.start()
        frames, reported, reported_at = 0, 0.0, -math.inf
        try:
            # One line per encoded frame, "out=  0 st=  0 frame=  41 ..."; output 0 is the proxy.
            # The callback runs on the caller's thread: it may well write to a database.
            for line in process.stdout:
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
            f"Converting the video took longer than {_spoken_duration(timeout)} and was stopped;"
            " try a shorter or smaller file."
        )
    stderr = "".join(stderr_tail)
    if "No space left on device" in stderr:
        raise OSError(errno.ENOSPC, f"ffmpeg ran out of disk space: {_last_line(stderr)}")
    if max_pixels and "exceeds specified max pixel count" in stderr:
        # The decoder refuses such pictures and ffmpeg goes on without them.
        raise MediaError(
            f"The picture grows past {max_pixels / 1e6:.1f} megapixels after"
            f" {_timecode(frames / fps)}, though it starts smaller."
            " Export the clip at one size within the limit and upload that."
        )
    if process.returncode < 0:  # killed by someone else, e.g. the OOM killer: worth a retry
        raise ChildProcessError(f"ffmpeg was killed by signal {-process.returncode}")
    if process.returncode != 0:
        raise MediaError(f"{_damaged(frames / fps)} ffmpeg said: {_last_line(stderr)}")
    return frames


def _damaged(seconds: float) -> str:
    return f"The video could not be decoded past {_timecode(seconds)} (the file may be damaged)."


def _spoken_duration(seconds: float) -> str:
    # Rounded up: a clip 0.4 s over a 2 h limit must not read as "2 h".
    hours, rest = divmod(math.ceil(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        minute_part = f" {minutes:02d} min" if minutes or seconds else ""
        return f"{hours} h{minute_part}" + (f" {seconds:02d} s" if seconds else "")
    if minutes:
        return f"{minutes} min" + (f" {seconds:02d} s" if seconds else "")
    return f"{seconds} s"


def _timecode(seconds: float) -> str:
    hours, rest = divmod(round(seconds * 1000), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _even(value: float | Fraction) -> int:
    return max(2, int(value) // 2 * 2)


def _ratio(text: str | None, separator: str) -> Fraction | None:
    numerator, _, denominator = (text or "").partition(separator)
    if not (numerator.isdigit() and denominator.isdigit()) or not int(numerator) * int(denominator):
        return None
    return Fraction(int(numerator), int(denominator))


def _last_line(stderr: str) -> str:
    """ffmpeg's last complaint, without its internal addresses or our file paths."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return re.sub(r"\[\S+ @ 0x[0-9a-f]+\] |file:\S*: ", "", lines[-1]) if lines else "no message"

"""ffprobe for uploaded clips: what a file is, whether we accept it, and its facts.

Uploads are untrusted. Every invocation of ffprobe and ffmpeg reads through the `file` protocol
only and through an allow-list of demuxers (untrusted_input), because a text file that ffmpeg
recognises as an HLS playlist or a concat script makes it open whatever files that text names
(e.g. /etc/passwd or another user's upload).
"""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from reviews.media import children

FFPROBE = "ffprobe"

# The demuxers an upload may be read with. None of them opens other files or URLs; hls, dash,
# concat and image2 (which expands file-name patterns) are deliberately absent. The audio and
# still-image ones are there so that probe() can say what the file is when it refuses it.
DEMUXERS = (
    *("mov", "matroska", "avi", "gif", "apng", "mpegts", "mpeg", "flv", "mxf", "asf", "ogg"),
    *("wav", "mp3", "flac", "aac", "png_pipe", "jpeg_pipe"),
)

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

# Packets read to find the first picture: enough for a keyframe interval of 10 s at 60 fps, as
# a trim without re-encoding hides up to one such interval before its first picture.
_FIRST_PACKETS = 600

# Formats that hold pictures rather than footage: one frame in them is a still image, while one
# frame in a video container (a one-frame MP4) is a video.
_PICTURE_FORMATS = ("gif", "apng")

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
    # Frames the proxy is expected to have, after edit lists (duration times fps); the rendered
    # proxy is counted afterwards and that count is the one the API tells.
    frame_count: int
    width: int  # display size, after sample aspect ratio and rotation
    height: int
    rotation: int  # clockwise degrees the stored picture is turned for display
    video_codec: str
    pix_fmt: str
    has_audio: bool
    # The video stream rendered (its index among all the file's streams), and how many video
    # streams there were to choose from.
    video_stream: int = 0
    video_streams: int = 1
    # When the first picture shows, in seconds on ffmpeg's timeline of the file (which starts at
    # the earliest stream): frame 0 of the proxy, and where its sound is cut to start.
    start: float = 0.0
    # The first pictures carry no timestamp (Matroska before zero: ffmpeg's reader leaves them
    # undated), so the proxy dates every picture by its place in the stream, n / fps.
    dated_by_order: bool = False


def probe(path: Path, *, timeout: float = 60) -> Probe:
    with path.open("rb") as upload:  # a missing file is the caller's bug, not a MediaError
        head = upload.read(8)
    if not head:
        raise MediaError("The file is empty; upload it again.")
    entries = (
        "format=format_name,duration,start_time"
        ":stream=index,codec_type,codec_name,width,height,pix_fmt,sample_aspect_ratio"
        ",r_frame_rate,avg_frame_rate,duration"
        ":stream_disposition=default,attached_pic:stream_side_data=rotation"
    )
    info = json.loads(_ffprobe(path, head, ["-show_entries", entries], timeout=timeout))
    format_name = info["format"]["format_name"]
    if format_name.endswith("_pipe"):
        raise MediaError(STILL_IMAGE)
    streams = info.get("streams", [])
    has_audio = any(stream["codec_type"] == "audio" for stream in streams)
    # Cover art in an audio file is a video stream marked as an attached picture.
    videos = [
        stream
        for stream in streams
        if stream["codec_type"] == "video" and not stream["disposition"]["attached_pic"]
    ]
    if not videos:
        raise MediaError(
            "The file is an audio track, not a video."
            if has_audio
            else "The file has no video in it; upload the video file itself."
        )
    # Of several video streams (a camera's proxy beside its full picture, an alternate angle) the
    # one marked default is what players show, so it is the one reviewed.
    video = next((stream for stream in videos if stream["disposition"]["default"]), videos[0])
    if not video.get("width") or not video.get("height"):  # ffmpeg has no decoder for it
        raise MediaError(
            "The video in the file uses a format we cannot decode;"
            " export it as MP4 (H.264) or MOV and upload that."
        )

    fps, variable = _nominal_rate(video)
    first_picture, undated = _first_picture(path, video, timeout, fps)
    # Matroska gives no stream a duration, and the container's counts from the earliest stream
    # to the end of the longest (or, written live by MediaRecorder, is missing): the video's
    # own packets say where its pictures start and end.
    duration = float(video.get("duration") or 0) or _duration_from_packets(
        path, video, first_picture, timeout
    )
    # MP4/MOV headers count the frames an edit list hides, so frames come from the duration,
    # which is the edit list's. The render counts the real ones.
    frame_count = max(1, round(duration * fps))
    if frame_count == 1 and format_name in _PICTURE_FORMATS:
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
        video_stream=int(video["index"]),
        video_streams=len(videos),
        start=first_picture - float(info["format"].get("start_time") or 0),
        dated_by_order=undated and not variable,
    )


def check_limits(probe: Probe, *, max_duration: float, max_pixels: int) -> None:
    if probe.duration > max_duration:
        raise MediaError(
            f"The clip is {spoken_duration(probe.duration)} long;"
            f" the limit is {spoken_duration(max_duration)}."
        )
    if probe.width * probe.height > max_pixels:
        raise MediaError(
            f"The picture is {probe.width}x{probe.height}"
            f" ({probe.width * probe.height / 1e6:.1f} megapixels);"
            f" the limit is {max_pixels / 1e6:.1f} megapixels. Export it smaller and upload that."
        )


def untrusted_input(path: Path) -> list[str]:
    # An absolute path behind "file:" cannot be read as another protocol or as an option.
    return [
        *("-protocol_whitelist", "file", "-format_whitelist", ",".join(DEMUXERS)),
        *("-i", f"file:{path.resolve()}"),
    ]


def _ffprobe(path: Path, head: bytes, args: list[str], *, timeout: float) -> str:
    command = [FFPROBE, "-v", "error", "-threads", "1", "-of", "json", *args]
    command += untrusted_input(path)
    try:
        result = children.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise _reading_too_long(timeout) from None
    if result.returncode != 0:
        raise _probe_refusal(head, result.stderr)
    return result.stdout


def _reading_too_long(timeout: float) -> MediaTimeout:
    return MediaTimeout(
        f"Reading the file took longer than {spoken_duration(timeout)};"
        " it may be damaged. Export it again and upload that."
    )


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
    return MediaError(f"The file could not be read as a video ({last_line(stderr)}).")


def count_frames(path: Path, *, timeout: float) -> int:
    """The frames of a rendered proxy's video: constant-rate, so one packet is one frame."""
    args = ["-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets"]
    output = _ffprobe(path, b"", args, timeout=timeout)
    return int(json.loads(output)["streams"][0].get("nb_read_packets") or 0)


def _first_picture(path: Path, video: dict, timeout: float, fps: Fraction) -> tuple[float, bool]:
    """When the stream's first picture shows, in the file's own timestamps, and whether the
    stream starts with pictures that carry no timestamp at all.

    Read from the packets, without decoding (the limits are checked before anything is): the
    earliest presentation time among the first packets, leaving out those an edit list hides
    (flag D), which a trimmed MP4 keeps from the keyframe before its cut.

    ffmpeg's Matroska reader gives a block dated before zero no timestamp (the sound keeps its
    negative ones), so a file shifted before zero starts with undated pictures. They are the
    ones shown before the earliest dated picture, one frame apart: the first of them shows
    that many frames earlier.
    """
    args = ["-select_streams", str(video["index"]), "-read_intervals", f"%+#{_FIRST_PACKETS}"]
    args += ["-show_entries", "packet=pts_time,dts_time,flags"]
    times = []
    packets = json.loads(_ffprobe(path, b"", args, timeout=timeout)).get("packets", [])
    undated = 0
    for packet in packets:
        # AVI stores no presentation times; its decode times are what the ffmpeg CLI goes by too.
        time = packet.get("pts_time", "N/A")
        if time == "N/A":
            time = packet.get("dts_time", "N/A")
        if "D" in packet.get("flags", ""):
            continue
        if time != "N/A":
            times.append(float(time))
        else:
            undated += 1
    if not times:
        raise MediaError("The video in the file has no picture we can read; export it again and upload that.")
    # Only undated pictures at the start are placed before the dated ones; one missing a
    # timestamp further on is the decoder's to guess, as it always was.
    leading = packets and _undated(packets[0])
    if not leading:
        return min(times), False
    return min(times) - float(undated / fps), True


def _undated(packet: dict) -> bool:
    return packet.get("pts_time", "N/A") == "N/A" and packet.get("dts_time", "N/A") == "N/A"


def _duration_from_packets(path: Path, video: dict, first_picture: float, timeout: float) -> float:
    """How long the pictures last, from the end of the video's last packet.

    Demuxing reads every packet's timestamp without decoding a picture, so the duration limit
    is still checked before any decoding. The packets are read as they come and only the
    latest end kept: a 2 GB upload can hold hundreds of millions of tiny ones.
    """
    command = [FFPROBE, "-v", "error", "-threads", "1", "-select_streams", str(video["index"])]
    command += ["-show_entries", "packet=pts_time,dts_time,duration_time", "-of", "csv=p=0"]
    command += untrusted_input(path)
    last_end = -math.inf
    with children.popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        watchdog = threading.Timer(timeout, process.kill)
        watchdog.start()
        try:
            for line in process.stdout:
                # "pts,dts,duration", then for some formats the packet's side data on the same
                # line. AVI has no presentation times: its decode times are what ffmpeg goes by.
                pts, dts, duration, *_ = [*line.strip().split(","), "", "", ""]
                time = pts if _is_number(pts) else dts
                if _is_number(time):
                    last_end = max(last_end, float(time) + (float(duration) if _is_number(duration) else 0))
            process.wait()
        finally:
            watchdog.cancel()
            if process.returncode is None:
                process.kill()
                process.wait()
    if process.returncode == -signal.SIGKILL:
        raise _reading_too_long(timeout)
    if last_end <= first_picture:
        raise MediaError("The file does not say how long it is; export it again and upload that.")
    return last_end - first_picture


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


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


def spoken_duration(seconds: float) -> str:
    # Rounded up: a clip 0.4 s over a 2 h limit must not read as "2 h".
    hours, rest = divmod(math.ceil(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        minute_part = f" {minutes:02d} min" if minutes or seconds else ""
        return f"{hours} h{minute_part}" + (f" {seconds:02d} s" if seconds else "")
    if minutes:
        return f"{minutes} min" + (f" {seconds:02d} s" if seconds else "")
    return f"{seconds} s"


def _ratio(text: str | None, separator: str) -> Fraction | None:
    numerator, _, denominator = (text or "").partition(separator)
    if not (numerator.isdigit() and denominator.isdigit()) or not int(numerator) * int(denominator):
        return None
    return Fraction(int(numerator), int(denominator))


def last_line(stderr: str) -> str:
    """ffmpeg's last complaint, without its internal addresses or our file paths."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return re.sub(r"\[\S+ @ 0x[0-9a-f]+\] |file:\S*: ", "", lines[-1]) if lines else "no message"

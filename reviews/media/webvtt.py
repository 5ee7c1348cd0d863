"""WebVTT writers: plain data in, the text of a track out (no ffmpeg, no ORM)."""

from __future__ import annotations

from reviews.media.ffmpeg import Filmstrip
from reviews.timecode import clock_time


def thumbnails_vtt(filmstrip: Filmstrip, *, duration: float, sprite_url: str) -> str:
    """A WebVTT thumbnails track: one cue per filmstrip tile, pointing into the sprite by
    ``#xywh=``. `duration` is the clip's length in seconds; the last cue ends there."""
    cues = ["WEBVTT"]
    for index in range(filmstrip.columns * filmstrip.rows):
        start = index * filmstrip.interval
        if start >= duration:
            break
        end = min(start + filmstrip.interval, duration)
        x = index % filmstrip.columns * filmstrip.tile_width
        y = index // filmstrip.columns * filmstrip.tile_height
        cues.append(
            f"{clock_time(start)} --> {clock_time(end)}\n"
            f"{sprite_url}#xywh={x},{y},{filmstrip.tile_width},{filmstrip.tile_height}"
        )
    return "\n\n".join(cues) + "\n"

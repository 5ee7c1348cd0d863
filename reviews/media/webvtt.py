"""WebVTT writers: plain data in, the text of a track out (no ffmpeg, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass

from reviews.timecode import clock_time


@dataclass(frozen=True)
class Filmstrip:
    """The grid of a filmstrip sprite: tiles of tile_width by tile_height pixels, row by row."""

    columns: int
    rows: int
    tile_width: int
    tile_height: int
    interval: float  # tile i shows the frame at i * interval seconds


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

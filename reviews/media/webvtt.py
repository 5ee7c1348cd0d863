"""WebVTT writers: plain data in, the text of a track out (no ffmpeg, no ORM)."""

from __future__ import annotations

import math
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
    ``#xywh=``. `duration` is the clip's length in seconds; the last cue ends there.

    Only tiles that show a frame get a cue: tile i shows the frame at i * interval, so there
    are as many as intervals that start before the end. The grid's spare tiles are blank.
    """
    # A tile starting within half a millisecond of the end would make a cue of no length at
    # WebVTT's millisecond resolution: that is float noise (23.976 fps makes 1001/24000 inexact,
    # ffprobe writes durations to the microsecond), not a frame.
    tiles = min(filmstrip.columns * filmstrip.rows, math.ceil((duration - 0.0005) / filmstrip.interval))
    cues = ["WEBVTT"]
    for index in range(tiles):
        start = index * filmstrip.interval
        end = duration if index == tiles - 1 else start + filmstrip.interval
        x = index % filmstrip.columns * filmstrip.tile_width
        y = index // filmstrip.columns * filmstrip.tile_height
        cues.append(
            f"{clock_time(start)} --> {clock_time(end)}\n"
            f"{sprite_url}#xywh={x},{y},{filmstrip.tile_width},{filmstrip.tile_height}"
        )
    return "\n\n".join(cues) + "\n"

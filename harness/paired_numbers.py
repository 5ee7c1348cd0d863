"""Clips that show their frame number in each half of the picture, and reading it off a screenshot.

For the compare page: with a wipe at the middle, A's left half and B's right half are on screen
together, so each half carries the whole number. As in ``numbered_clips``, a frame's number n
(its index at the clip's own rate) is painted as flat grey bands, left to right its hundreds,
tens and units, digit d at luma 16 + 20 d; here there are three bands in each half.

Screenshots are read with a small PNG decoder (zlib from the standard library): Chromium
writes 8-bit, non-interlaced RGB or RGBA, which is all it needs to read.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path
from typing import NamedTuple

WIDTH, HEIGHT = 192, 96


def make(path: Path, *, seconds: float, rate: str) -> Path:
    """An H.264 clip of `seconds` at `rate` whose frame n shows n in both halves."""
    half = "mod(X\\,W/2)"
    digit = (
        f"if(lt({half}\\,W/6)\\,floor(N/100)\\,if(lt({half}\\,W/3)\\,mod(floor(N/10)\\,10)\\,mod(N\\,10)))"
    )
    source = f"color=black:size={WIDTH}x{HEIGHT}:rate={rate}:duration={seconds}"
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"{source},format=yuv420p,geq=lum='16+20*{digit}':cb=128:cr=128"]
    command += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "24", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not make a test clip: {result.stderr.strip()}")
    return path


class Image(NamedTuple):
    width: int
    height: int
    rows: list[bytes]  # RGB, three bytes a pixel

    def luma(self, x: int, y: int) -> float:
        r, g, b = self.rows[y][3 * x : 3 * x + 3]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b


def decode_png(data: bytes) -> Image:
    """An 8-bit, non-interlaced RGB or RGBA PNG as RGB rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, b"", None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        chunk = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
    assert header is not None, "a PNG without a header"
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace != 0:
        raise ValueError(f"a PNG this reader does not read: {header}")
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[i] = (line[i] + predictor) & 0xFF
        previous = line
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
    return Image(width, height, rows)


def read_halves(image: Image, box: tuple[float, float, float, float]) -> tuple[int, int]:
    """The numbers shown in the left and the right half of the picture at `box` (x, y, width, height)."""
    x0, y0, width, height = box
    numbers = []
    for half in range(2):
        digits = []
        for band in range(3):
            # The middle of each band, away from the edges that scaling blurs.
            left = x0 + (half * 3 + band) * width / 6 + width / 48
            right = x0 + (half * 3 + band + 1) * width / 6 - width / 48
            values = [
                image.luma(x, y)
                for y in range(round(y0 + height / 4), round(y0 + 3 * height / 4), 2)
                for x in range(round(left), round(right))
            ]
            # The browser shows limited-range luma 16 + 20 d as full-range grey 255 * 20 d / 219.
            digits.append(round(sum(values) / len(values) * 219 / 255 / 20))
        numbers.append(digits[0] * 100 + digits[1] * 10 + digits[2])
    return numbers[0], numbers[1]

"""Frames, seconds and SMPTE timecodes, in exact rational arithmetic.

Timecodes are non-drop-frame ``HH:MM:SS:FF``: the frame field counts up to the
*nominal* rate (24 for 23.976, 30 for 29.97), so at 23.976 fps ``00:00:01:00``
is frame 24, which plays at 1.001 s. That is what editing tools show for
non-drop-frame material, and it keeps every frame addressable by exactly one
timecode. Rates are ``Fraction`` so 24000/1001 never drifts.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

from reviews.bounded import OutOfBounds, read_number, read_ratio

# The rates cameras and editors write as rounded decimals, mapped to the exact
# NTSC rationals they stand for.
_NTSC_RATES = {
    Decimal("23.976"): Fraction(24000, 1001),
    Decimal("23.98"): Fraction(24000, 1001),
    Decimal("29.97"): Fraction(30000, 1001),
    Decimal("47.952"): Fraction(48000, 1001),
    Decimal("59.94"): Fraction(60000, 1001),
    Decimal("119.88"): Fraction(120000, 1001),
}
MAX_RATE = Fraction(1000)
_MAX_RATE_TERM = 2**31 - 1
# Hours of up to nine digits: cheap to convert, and past the 32-bit frame column at any rate
# (at 1 fps it ends near hour 596,523), so the caller can say "past the end of any clip".
_TIMECODE = re.compile(r"(\d{2,9}):([0-5]\d):([0-5]\d):(\d{2,3})", re.ASCII)
# Drop-frame timecode (HH:MM:SS;FF) counts frames differently; read as non-drop-frame it would
# name another frame, so it is refused with a sentence rather than misread.
_DROP_FRAME = re.compile(r"\d{2,9}:[0-5]\d:[0-5]\d[;.,]\d{2,3}", re.ASCII)
_MAX_TIMECODE_LENGTH = 20
# Times past the last storable frame at the slowest rate are no clip's: a cheap bound before converting.
MAX_SECONDS = 10**10
# Browsers report a frame's start time with float noise on either side; a
# position this close below a frame boundary belongs to the next frame.
_FRAME_EPSILON = Fraction(1, 1000)


class TimecodeError(ValueError):
    """A rate, timecode or time a person typed that cannot be used."""


def parse_rate(value: str | int | float | Fraction | Decimal) -> Fraction:
    """Read a frame rate written as ``24``, ``23.976``, ``"30000/1001"`` or a Fraction.

    Rates are above 0 and at most ``MAX_RATE`` fps, with terms that fit 32 bits.
    """
    if isinstance(value, Fraction):
        rate = value
    else:
        text = value.strip() if isinstance(value, str) else value
        try:
            if isinstance(text, str) and "/" in text:
                rate = read_ratio(text, maximum_term=_MAX_RATE_TERM)
            else:
                exact = read_number(text, minimum=0, maximum=MAX_RATE)
                rate = _NTSC_RATES.get(Decimal(exact.numerator) / exact.denominator) or exact
                if rate.denominator > 1001:
                    # A float that spells a ratio (JSON's 23.976023976023978 is 24000/1001)
                    # is read as the nearest ratio with a denominator up to 1001.
                    rate = rate.limit_denominator(1001)
        except OutOfBounds:
            raise TimecodeError(
                f"{_quoted(value)} is not a frame rate; write it like 24, 23.976 or 30000/1001,"
                f" at most {MAX_RATE} fps."
            ) from None
    if not 0 < rate <= MAX_RATE:
        raise TimecodeError(f"A frame rate must be above 0 and at most {MAX_RATE} fps.")
    # The rate is stored as two 32-bit integers; a ratio like 1/99999999999 does not fit.
    if max(rate.numerator, rate.denominator) > _MAX_RATE_TERM:
        raise TimecodeError(
            f"{_quoted(value)} is too fine a frame rate to store; write it like 24, 23.976 or 30000/1001."
        )
    return rate


def _quoted(value: object) -> str:
    """A client's value in a message, cut short: it may be megabytes long."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def nominal_rate(rate: Fraction) -> int:
    """The frames counted per timecode second: 24 for 23.976, 30 for 29.97."""
    return max(1, round(rate))


def frame_to_timecode(frame: int, rate: Fraction) -> str:
    if frame < 0:
        raise TimecodeError("A frame number cannot be negative.")
    base = nominal_rate(rate)
    total_seconds, frames = divmod(frame, base)
    minutes, seconds = divmod(total_seconds, 60)
    hours, minutes = divmod(minutes, 60)
    width = len(str(base - 1))
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{frames:0{max(2, width)}d}"


def timecode_to_frame(timecode: str, rate: Fraction) -> int:
    """The frame a non-drop-frame ``HH:MM:SS:FF`` names: hours of 2 to 9 digits, frames below the nominal rate."""
    text = timecode.strip() if isinstance(timecode, str) else ""
    match = _TIMECODE.fullmatch(text) if len(text) <= _MAX_TIMECODE_LENGTH else None
    if not match and _DROP_FRAME.fullmatch(text[: _MAX_TIMECODE_LENGTH + 1]):
        raise TimecodeError(
            f"{_quoted(timecode)} is a drop-frame timecode; this service counts non-drop-frame"
            " HH:MM:SS:FF (every frame numbered), so send it with colons or send the frame."
        )
    if not match:
        raise TimecodeError(
            f"{_quoted(timecode)} is not a timecode; write it as HH:MM:SS:FF, e.g. 00:00:02:00."
        )
    hours, minutes, seconds, frames = (int(part) for part in match.groups())
    base = nominal_rate(rate)
    if frames >= base:
        raise TimecodeError(
            f"{text!r} has frame {frames}, but at {float(rate):g} fps frames run 00 to {base - 1:02d}."
        )
    return ((hours * 60 + minutes) * 60 + seconds) * base + frames


def frame_to_seconds(frame: int, rate: Fraction) -> Fraction:
    """When a frame starts playing. Non-drop-frame timecode and real time differ at NTSC rates."""
    return Fraction(frame) / rate


def seconds_to_frame(seconds: float | str | Fraction | Decimal, rate: Fraction) -> int:
    """The frame on screen at ``seconds`` (from 0 to ``MAX_SECONDS``)."""
    if isinstance(seconds, Fraction):
        exact = seconds
    else:
        try:
            exact = read_number(seconds, minimum=-MAX_SECONDS, maximum=MAX_SECONDS)
        except OutOfBounds:
            raise TimecodeError(
                f"{_quoted(seconds)} is not a number of seconds from 0 to {MAX_SECONDS}."
            ) from None
    if exact < 0:
        raise TimecodeError("A time cannot be negative.")
    return math.floor(exact * rate + _FRAME_EPSILON)


def rate_label(rate: Fraction) -> str:
    """A rate as people write it: ``24``, ``23.976``, ``29.97``."""
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def clock_time(seconds: float) -> str:
    """A position as a clock reads it, ``HH:MM:SS.mmm`` to the millisecond (WebVTT's cue time).

    Not a timecode: it counts milliseconds, not frames, and says nothing of the rate.
    """
    hours, rest = divmod(round(seconds * 1000), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"

"""Numbers and JSON from clients, read with bounds on their length and value *before* conversion.

Python converts anything it is given: ``Fraction("1e999999999")`` builds an
integer of a billion digits (minutes of CPU), ``int()`` of 5,000 digits raises a
ValueError nobody expects, and ``json.loads`` of 100,000 brackets raises
RecursionError. Every number or JSON text a client sends goes through one of
these functions first; each either returns a value within the stated range or
raises ``OutOfBounds`` with a sentence a person can act on. No Django here, so
they are tested like ``timecode.py`` (tests/test_bounded.py fuzzes them).
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

# Longer than any number a person means (2**63 has 19 digits), short enough to convert at once.
MAX_NUMBER_LENGTH = 40
# Digits before an exponent, and the exponent's own digits: 1e308 (a float's range) still reads.
_DECIMAL = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,3})?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d{1,30}", re.ASCII)
# The deepest JSON any field of this API needs is a drawing: {"shapes": [{"points": [[x, y]]}]}.
MAX_JSON_DEPTH = 32
# A byte position of more digits than this is past the end of any file (2**63 has 19).
_MAX_BYTE_DIGITS = 18
_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)


class OutOfBounds(ValueError):
    """A number or document a client sent that is malformed, too long or out of range."""


class AboveMaximum(OutOfBounds):
    """A well-formed number larger than the maximum (a caller may word this one its own way)."""


def read_number(value: Any, *, minimum: Fraction | int, maximum: Fraction | int) -> Fraction:
    """A decimal number as an exact Fraction in ``[minimum, maximum]``.

    Takes an int, a finite float, or text of at most ``MAX_NUMBER_LENGTH`` characters
    like ``12``, ``0.5``, ``-3.25`` or ``1.5e3`` (exponents of up to three digits).
    Booleans, infinities, NaN and anything else raise ``OutOfBounds``; a well-formed
    number above ``maximum`` raises its subclass ``AboveMaximum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise OutOfBounds("This must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise OutOfBounds(f"This must be a number from {_plain(minimum)} to {_plain(maximum)}.")
    if isinstance(value, int):
        # A JSON integer arrives already converted; compare it without printing it.
        exact = Fraction(value)
    else:
        text = str(value).strip()
        if len(text) > MAX_NUMBER_LENGTH or not _DECIMAL.fullmatch(text):
            raise OutOfBounds(
                f"This must be a number from {_plain(minimum)} to {_plain(maximum)}, written like 12 or 0.5."
            )
        # The pattern bounds the digits and the exponent, so this conversion is cheap.
        exact = Fraction(Decimal(text))
    if exact > maximum:
        raise AboveMaximum(f"This must be a number from {_plain(minimum)} to {_plain(maximum)}.")
    if exact < minimum:
        raise OutOfBounds(f"This must be a number from {_plain(minimum)} to {_plain(maximum)}.")
    return exact


def read_integer(value: Any, *, minimum: int, maximum: int) -> int:
    """A whole number in ``[minimum, maximum]``, from an int or from at most 30 digits of text."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise OutOfBounds("This must be a whole number.")
    if isinstance(value, str):
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise OutOfBounds(f"This must be a whole number from {minimum} to {maximum}.")
        value = int(text)
    if not minimum <= value <= maximum:
        raise OutOfBounds(f"This must be a whole number from {minimum} to {maximum}.")
    return value


def read_ratio(text: str, *, maximum_term: int) -> Fraction:
    """``"30000/1001"`` as a Fraction; each term a whole number from 1 to ``maximum_term``."""
    numerator, _, denominator = text.partition("/")
    try:
        return Fraction(
            read_integer(numerator, minimum=1, maximum=maximum_term),
            read_integer(denominator, minimum=1, maximum=maximum_term),
        )
    except OutOfBounds:
        raise OutOfBounds(
            f"A ratio is two whole numbers from 1 to {maximum_term}, like 30000/1001."
        ) from None


class RangeNotSatisfiable(OutOfBounds):
    """A byte range that starts at or past the end of the file (HTTP 416)."""


def read_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` bytes a ``Range`` header asks of a file of ``size`` bytes.

    ``None`` means "send the whole file": no header, a header this server does not
    read (several ranges, other units), or one RFC 9110 says to ignore (``500-100``).
    A range starting at or past the end raises ``RangeNotSatisfiable``. Positions of
    any length are read without converting more than 18 digits: longer is past any end.
    """
    match = _RANGE.fullmatch(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    start, end = (_byte_position(group) for group in match.groups())
    if size == 0:
        raise RangeNotSatisfiable("The file is empty: no range of it can be sent.")
    if start is None:
        # "bytes=-500": the last 500 bytes, or the whole file if it is shorter.
        if end == 0:
            raise RangeNotSatisfiable("A range of the last 0 bytes is empty.")
        return max(0, size - end), size - 1
    if end is not None and end < start:
        # "bytes=500-100" is not a range at all: answer with the whole file (RFC 9110, 14.2).
        return None
    if start >= size:
        raise RangeNotSatisfiable(
            f"The range starts at byte {_short(start)}, past the end of this {size}-byte file."
        )
    return start, size - 1 if end is None else min(end, size - 1)


def _byte_position(digits: str) -> int | None:
    if not digits:
        return None
    digits = digits.lstrip("0") or "0"
    # More digits than any file has bytes: any value past every end will do.
    return int(digits) if len(digits) <= _MAX_BYTE_DIGITS else 10**_MAX_BYTE_DIGITS


def _short(position: int) -> str:
    return str(position) if position < 10**_MAX_BYTE_DIGITS else "beyond any file's end"


def loads_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a client's JSON text, nested at most ``max_depth`` arrays and objects deep.

    Numbers too large for a float (``1e999``) and ``NaN``/``Infinity`` are refused,
    since nothing downstream can store them. Raises ``OutOfBounds`` for text that is
    not JSON, nests too deeply, or holds such a number.
    """
    if _nests_deeper(text if isinstance(text, str) else text.decode("utf-8", "replace"), max_depth):
        raise _too_deep(max_depth)
    try:
        value = json.loads(
            text, parse_float=_finite_float, parse_int=_bounded_int, parse_constant=_no_constant
        )
    except RecursionError:
        raise _too_deep(max_depth) from None
    except OutOfBounds:
        raise
    except ValueError as error:
        raise OutOfBounds(f"This is not valid JSON: {error}.") from None
    if _depth_exceeds(value, max_depth):
        raise _too_deep(max_depth)
    return value


# Python's own limit on converting digits (sys.get_int_max_str_digits()), whose error names
# interpreter internals; below it, each field bounds its numbers and names itself.
MAX_JSON_INTEGER_DIGITS = 4300


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_INTEGER_DIGITS:
        raise OutOfBounds(
            f"The number {text[:20]}… has more than {MAX_JSON_INTEGER_DIGITS} digits; no field holds one so long."
        )
    return int(text)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise OutOfBounds(f"The number {text[:20]}… is too large to store.")
    return number


def _no_constant(name: str) -> Any:
    raise OutOfBounds(f"{name} is not a number JSON may hold.")


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _nests_deeper(text: str, max_depth: int) -> bool:
    """Whether the brackets outside strings open deeper than ``max_depth``, found before parsing.

    The parser would recurse once per level and raise RecursionError far past the limit; a
    RecursionError caught in CPython 3.11 can leave its recursion counter off and fail a later,
    unrelated compile (SystemError "AST constructor recursion depth mismatch"). So the depth is
    counted first, in one pass of two regular expressions, and deep text never reaches the parser.
    """
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > max_depth:
            return True
    return False


def _too_deep(max_depth: int) -> OutOfBounds:
    return OutOfBounds(
        f"The JSON is nested too deeply (more than {max_depth} levels); no field of this API needs that."
    )


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than max_depth, walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _plain(number: Fraction | int) -> str:
    if isinstance(number, Fraction) and number.denominator != 1:
        return f"{float(number):g}"
    return str(int(number))

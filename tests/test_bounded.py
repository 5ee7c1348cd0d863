"""The parsers of client numbers and JSON: in range or a documented error, and always quickly.

Property-based (hypothesis): each converter gets hostile text (huge exponents,
thousands of digits, deep nesting) as well as ordinary values, and may only
return a value in its documented range or raise its documented error, within a
fixed time per example. No Django: these run in the fast lane.
"""

from __future__ import annotations

import json
import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reviews.bounded import (
    MAX_JSON_DEPTH,
    OutOfBounds,
    RangeNotSatisfiable,
    loads_json,
    read_byte_range,
    read_integer,
    read_number,
)
from reviews.timecode import MAX_RATE, TimecodeError, parse_rate, seconds_to_frame, timecode_to_frame

# Enough examples to find the hostile shapes, few enough for CI on two shared cores. No
# per-example deadline: `quickly` below is the one bound, and a loose one.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
        # The autouse media-folder fixture of conftest.py is harmless to share between examples.
        HealthCheck.function_scoped_fixture,
    ],
)
# A hang detector, not a speed measurement (that is bench/'s job): the inputs this guards
# against stalled a worker for a minute, so a bound far above a busy machine's worst case
# still catches them without failing a run that merely shares two cores.
QUICK = 5.0

digits = st.text(alphabet="0123456789", min_size=1, max_size=5000)
huge_digits = st.integers(min_value=20, max_value=5000).map(lambda n: "9" * n)
exponents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda e: f"e{e}")
number_text = st.one_of(
    st.text(max_size=60),
    st.from_regex(r"[+-]?\d{1,40}(\.\d{0,40})?([eE][+-]?\d{1,12})?", fullmatch=True),
    st.tuples(st.sampled_from(["1", "-1", "2.5", "0.", ".5"]), exponents).map("".join),
    huge_digits,
    st.sampled_from(["1e999999999", "inf", "-inf", "nan", "NaN", "Infinity", "1_000", "٣", " 24 ", ""]),
)
client_numbers = st.one_of(
    number_text,
    st.integers(min_value=-(10**4000), max_value=10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


def quickly(call, *args, **kwargs):
    """The call's result, or the exception it raised; fails if it took longer than QUICK."""
    started = time.monotonic()
    try:
        result = call(*args, **kwargs)
    except Exception as error:
        result = error
    assert time.monotonic() - started < QUICK, f"{call.__name__}{args!r:.80} took too long"
    return result


@FUZZ
@given(client_numbers)
@example("1e999999999")
@example("9" * 4000)
def test_it_reads_a_number_in_range_or_refuses_it(value):
    result = quickly(read_number, value, minimum=0, maximum=1000)
    assert isinstance(result, (Fraction, OutOfBounds)), repr(result)
    if isinstance(result, Fraction):
        assert 0 <= result <= 1000


@FUZZ
@given(st.one_of(client_numbers, digits))
def test_it_reads_a_whole_number_in_range_or_refuses_it(value):
    result = quickly(read_integer, value, minimum=1, maximum=10**9)
    assert isinstance(result, (int, OutOfBounds)), repr(result)
    if isinstance(result, int):
        assert 1 <= result <= 10**9


@FUZZ
@given(
    st.one_of(
        client_numbers,
        st.tuples(st.one_of(digits, number_text), st.one_of(digits, number_text)).map("/".join),
    )
)
@example("1e999999999")
@example("1" * 5000 + "/1")
def test_it_reads_a_frame_rate_in_range_or_refuses_it(value):
    result = quickly(parse_rate, value)
    assert isinstance(result, (Fraction, TimecodeError)), repr(result)
    if isinstance(result, Fraction):
        assert 0 < result <= MAX_RATE
        assert max(result.numerator, result.denominator) <= 2**31 - 1


timecode_text = st.one_of(
    st.text(max_size=40),
    st.tuples(digits, digits, digits, digits).map(":".join),
    st.from_regex(r"\d{1,8}:\d{1,3}:\d{1,3}[:;]\d{1,4}", fullmatch=True),
)


@FUZZ
@given(timecode_text, st.sampled_from(["24", "23.976", "1", "1000", "30000/1001"]))
@example("1" * 5000 + ":00:00:00", "24")
def test_it_reads_a_timecode_as_a_frame_or_refuses_it(text, rate):
    result = quickly(timecode_to_frame, text, parse_rate(rate))
    assert isinstance(result, (int, TimecodeError)), repr(result)
    if isinstance(result, int):
        # Nine digits of hours at most: bounded before the frame column's own limit is checked.
        assert 0 <= result < 10**9 * 3600 * 1000


@FUZZ
@given(client_numbers, st.sampled_from(["24", "23.976", "1000", "1/1001"]))
@example("1e999999999", "24")
@example(1e308, "1000")
def test_it_reads_seconds_as_a_frame_or_refuses_them(value, rate):
    result = quickly(seconds_to_frame, value, parse_rate(rate))
    assert isinstance(result, (int, TimecodeError)), repr(result)
    if isinstance(result, int):
        assert 0 <= result <= 10**10 * 1000 + 1


range_header = st.one_of(
    st.text(max_size=80),
    st.tuples(st.one_of(st.just(""), digits), st.one_of(st.just(""), digits)).map(
        lambda pair: f"bytes={pair[0]}-{pair[1]}"
    ),
    st.from_regex(r"bytes=\d{0,25}-\d{0,25}", fullmatch=True),
)


@FUZZ
@given(range_header, st.integers(min_value=0, max_value=10**12))
@example("bytes=" + "9" * 4000 + "-", 4096)
@example("bytes=-" + "9" * 4000, 4096)
@example("bytes=0-" + "9" * 4000, 4096)
def test_it_reads_a_byte_range_within_the_file_or_refuses_it(header, size):
    result = quickly(read_byte_range, header, size)
    assert result is None or isinstance(result, (tuple, RangeNotSatisfiable)), repr(result)
    if isinstance(result, tuple):
        first, last = result
        assert 0 <= first <= last < size


def test_a_range_starting_past_the_end_is_unsatisfiable_and_says_so():
    with pytest.raises(RangeNotSatisfiable, match="past the end"):
        read_byte_range("bytes=" + "4" * 4000 + "-", 4096)
    with pytest.raises(RangeNotSatisfiable):
        read_byte_range("bytes=4096-", 4096)
    assert read_byte_range("bytes=-" + "4" * 4000, 4096) == (0, 4095)
    assert read_byte_range("bytes=100-" + "4" * 4000, 4096) == (100, 4095)
    assert read_byte_range("bytes=500-100", 4096) is None


json_text = st.one_of(
    st.text(max_size=200),
    st.integers(min_value=1, max_value=200_000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=200_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(min_value=1, max_value=100_000).map(lambda n: "[" * n),
    st.sampled_from(["1e999999", "[NaN]", "[Infinity]", '{"seed": -1e400}', "9" * 5000]),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)),
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(st.text(max_size=3), children, max_size=3)
        ),
        max_leaves=40,
    ).map(json.dumps),
)


@FUZZ
@given(json_text)
@example("[" * 100_000 + "]" * 100_000)
def test_it_parses_json_no_deeper_than_the_limit_or_refuses_it(text):
    result = quickly(loads_json, text)
    assert not isinstance(result, Exception) or isinstance(result, OutOfBounds), repr(result)
    if not isinstance(result, Exception):
        assert _depth(result) <= MAX_JSON_DEPTH


def _depth(value) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max((_depth(child) for child in children), default=0)


def test_it_accepts_json_nested_to_the_limit_and_refuses_one_level_more():
    assert loads_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    with pytest.raises(OutOfBounds, match="nested too deeply"):
        loads_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))

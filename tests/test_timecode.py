from __future__ import annotations

from fractions import Fraction

import pytest

from reviews.timecode import (
    TimecodeError,
    frame_to_seconds,
    frame_to_timecode,
    parse_rate,
    seconds_to_frame,
    timecode_to_frame,
)

RATES = ["23.976", "24", "25", "29.97", "30", "60"]


@pytest.mark.parametrize("text", RATES)
def test_it_round_trips_every_frame_of_an_hour_through_timecode(text):
    rate = parse_rate(text)
    # Every frame of the first minute, then a stride through the hour.
    frames = [*range(0, round(rate) * 60), *range(0, round(rate) * 3600, 997)]
    for frame in frames:
        assert timecode_to_frame(frame_to_timecode(frame, rate), rate) == frame


@pytest.mark.parametrize("text", RATES)
def test_it_round_trips_frames_through_seconds(text):
    rate = parse_rate(text)
    for frame in range(0, round(rate) * 600, 7):
        assert seconds_to_frame(float(frame_to_seconds(frame, rate)), rate) == frame


def test_it_reads_ntsc_rates_as_exact_rationals():
    assert parse_rate("23.976") == Fraction(24000, 1001)
    assert parse_rate(29.97) == Fraction(30000, 1001)
    assert parse_rate("30000/1001") == Fraction(30000, 1001)
    assert parse_rate(24) == 24


def test_it_counts_non_drop_frame_timecode_at_the_nominal_rate():
    rate = parse_rate("23.976")
    assert timecode_to_frame("00:00:01:00", rate) == 24
    assert frame_to_timecode(48, rate) == "00:00:02:00"
    # ...so the timecode second is 1.001 real seconds.
    assert frame_to_seconds(24, rate) == Fraction(1001, 1000)


def test_it_places_a_time_on_the_frame_showing_then():
    rate = Fraction(24)
    assert seconds_to_frame(2.0, rate) == 48
    assert seconds_to_frame(2.04, rate) == 48
    assert seconds_to_frame(2.0417, rate) == 49
    # A player's float noise just below a boundary still lands on the frame.
    assert seconds_to_frame(1.9999999, rate) == 48


@pytest.mark.parametrize("bad", ["00:00:01:24", "1:2:3", "00:61:00:00", "xx:00:00:00", ""])
def test_it_refuses_malformed_timecodes(bad):
    with pytest.raises(TimecodeError):
        timecode_to_frame(bad, Fraction(24))


@pytest.mark.parametrize("bad", ["0", "-24", "abc", "1/0", "5000", "nan", "inf"])
def test_it_refuses_impossible_rates(bad):
    with pytest.raises(TimecodeError):
        parse_rate(bad)


def test_it_refuses_negative_times():
    with pytest.raises(TimecodeError):
        seconds_to_frame(-1, Fraction(24))
    with pytest.raises(TimecodeError):
        frame_to_timecode(-1, Fraction(24))


@pytest.mark.parametrize("text", ["00:01:00;02", "00:01:00;00", "00:00:01.12", "00:00:01,12"])
def test_it_refuses_a_drop_frame_timecode_rather_than_misreading_it(text):
    # At 29.97 drop-frame, 00:01:00;02 is frame 1800; read as non-drop-frame it would be 1802.
    with pytest.raises(TimecodeError, match="drop-frame"):
        timecode_to_frame(text, Fraction(30000, 1001))

"""Quiet hours on a person's own clock: the first moment a digest may go, across midnight and clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from bot.delivery.quiet import in_quiet_hours, next_outside_quiet_hours

NIGHT = (time(21), time(8))
SHANGHAI, LONDON = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/London")


def _local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def test_a_night_in_shanghai_ends_at_eight_the_next_morning() -> None:
    assert next_outside_quiet_hours(_local(SHANGHAI, 2026, 11, 2, 22), NIGHT, SHANGHAI) == \
        _local(SHANGHAI, 2026, 11, 3, 8)
    # After midnight the same night ends the same morning; the first minute of the day is still quiet.
    assert next_outside_quiet_hours(_local(SHANGHAI, 2026, 11, 3, 0, 0), NIGHT, SHANGHAI) == \
        _local(SHANGHAI, 2026, 11, 3, 8)
    assert next_outside_quiet_hours(_local(SHANGHAI, 2026, 11, 3, 21), NIGHT, SHANGHAI) == \
        _local(SHANGHAI, 2026, 11, 4, 8)


def test_outside_quiet_hours_a_moment_is_its_own_answer() -> None:
    for hour, minute in ((8, 0), (12, 30), (20, 59)):
        moment = _local(SHANGHAI, 2026, 11, 3, hour, minute)
        assert next_outside_quiet_hours(moment, NIGHT, SHANGHAI) == moment
    assert next_outside_quiet_hours(_local(SHANGHAI, 2026, 11, 3, 23), None, SHANGHAI) == \
        _local(SHANGHAI, 2026, 11, 3, 23)


def test_quiet_hours_within_one_day() -> None:
    lunch = (time(12), time(13, 30))
    assert next_outside_quiet_hours(_local(SHANGHAI, 2026, 11, 3, 12, 10), lunch, SHANGHAI) == \
        _local(SHANGHAI, 2026, 11, 3, 13, 30)
    assert not in_quiet_hours(_local(SHANGHAI, 2026, 11, 3, 23), lunch, SHANGHAI)
    assert not in_quiet_hours(_local(SHANGHAI, 2026, 11, 3, 11, 59), lunch, SHANGHAI)


def test_the_same_instant_is_quiet_on_one_clock_and_not_on_another() -> None:
    moment = datetime(2026, 11, 3, 14, tzinfo=UTC)  # 22:00 in Shanghai, 14:00 in London
    assert next_outside_quiet_hours(moment, NIGHT, SHANGHAI) == datetime(2026, 11, 4, 0, tzinfo=UTC)
    assert next_outside_quiet_hours(moment, NIGHT, LONDON) == moment


def test_london_nights_when_the_clocks_change() -> None:
    # Clocks go forward at 01:00 GMT on 29 March 2026: the night is an hour shorter, and still ends at 08:00.
    spring = next_outside_quiet_hours(_local(LONDON, 2026, 3, 28, 22), NIGHT, LONDON)
    assert spring == datetime(2026, 3, 29, 7, tzinfo=UTC)
    assert spring.astimezone(LONDON).hour == 8
    # Back at 02:00 BST on 25 October 2026: an hour longer, ending at 08:00 GMT.
    autumn = next_outside_quiet_hours(_local(LONDON, 2026, 10, 24, 22), NIGHT, LONDON)
    assert autumn == datetime(2026, 10, 25, 8, tzinfo=UTC)
    # The repeated hour of that night is quiet both times round.
    for fold in (0, 1):
        assert in_quiet_hours(_local(LONDON, 2026, 10, 25, 1, 30).replace(fold=fold), NIGHT, LONDON)


def test_an_end_the_clock_skips_is_the_moment_it_jumps() -> None:
    # Quiet until 01:30 on the night London skips from 01:00 to 02:00: they end at the jump.
    early = (time(0, 30), time(1, 30))
    end = next_outside_quiet_hours(_local(LONDON, 2026, 3, 29, 0, 45), early, LONDON)
    assert end == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert end.astimezone(LONDON).time() == time(2)


ZONES = st.sampled_from(["Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe",
                         "America/Santiago", "Asia/Kolkata"])
TIMES = st.times().map(lambda t: t.replace(microsecond=0))


# Hypothesis bounds datetimes by naive ones and attaches the zone after.
MOMENTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),  # noqa: DTZ001
                       timezones=st.just(UTC))


@given(zone=ZONES, start=TIMES, end=TIMES, moment=MOMENTS)
def test_the_answer_is_the_first_moment_outside_quiet_hours(zone: str, start: time, end: time,
                                                            moment: datetime) -> None:
    assume(start != end)
    tz, quiet = ZoneInfo(zone), (start, end)
    free = next_outside_quiet_hours(moment, quiet, tz)
    assert not in_quiet_hours(free, quiet, tz)
    assert moment <= free <= moment + timedelta(days=1, hours=1)
    if free != moment:  # everything before it, back to `moment`, is quiet
        assert in_quiet_hours(free - timedelta(seconds=1), quiet, tz)
        assert in_quiet_hours(moment + (free - moment) / 2, quiet, tz)

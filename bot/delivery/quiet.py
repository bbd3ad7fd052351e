"""Quiet hours: when a push may reach a person, read on their own clock.

Pure: a moment and a time zone in, a moment out. Quiet hours are wall-clock times ("21:00-08:00"), so their end
is found on the local calendar and only then turned into an instant: the night a clock changes is an hour longer or
shorter, never shifted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "in_quiet_hours", "next_outside_quiet_hours"]

QuietHours = tuple[time, time]  # (start, end), local wall-clock times; start > end crosses midnight


def in_quiet_hours(moment: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> bool:
    """Whether the timezone-aware `moment` falls within quiet hours on the clock of `zone`."""
    if quiet is None:
        return False
    start, end = quiet
    local = moment.astimezone(zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_outside_quiet_hours(moment: datetime, quiet: QuietHours | None, zone: ZoneInfo) -> datetime:
    """`moment` itself when it is outside quiet hours in `zone`, else the moment they end there (in UTC)."""
    if not in_quiet_hours(moment, quiet, zone):
        return moment
    assert quiet is not None
    start, end = quiet
    local = moment.astimezone(zone)
    # Past the start of a night that crosses midnight, the quiet hours end on the next local day.
    day = local.date() + timedelta(days=1) if start > end and local.time() >= start else local.date()
    return _first_instant_at(day, end, zone)


def _first_instant_at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant of `day` whose local time in `zone` is `wall` or later: `wall` itself, or, when the clock
    skips over it (moving forward), the instant it jumps."""
    local = datetime.combine(day, wall, zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Skipped: read with the offset after the jump it is an instant before the jump, with the offset before it (what
    # `instant` holds) an instant after; the jump lies between, found to the second (clocks change on whole seconds).
    early, late = int(local.replace(fold=1).timestamp()), int(instant.timestamp())
    offset_before = _offset(early, zone)
    while late - early > 1:
        middle = (early + late) // 2
        early, late = (middle, late) if _offset(middle, zone) == offset_before else (early, middle)
    return datetime.fromtimestamp(late, UTC)


def _offset(timestamp: int, zone: ZoneInfo) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, zone).utcoffset()

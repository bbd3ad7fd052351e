"""What the admin views lay out beyond the templates' filters: monospace tables that fit a phone, and moments in
the firm's time zone, both for the reader's locale."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time

from bot.i18n import current_locale

# Display columns a <pre> line may take to fit a phone held upright without wrapping.
PHONE_COLUMNS = 32


def columns(text: str) -> int:
    """How many monospace columns `text` takes: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def text_table(rows: Sequence[Sequence[str]], *, left: int = 1) -> str:
    """Rows of cells as lines of a monospace table, one space between columns: the first `left` columns aligned
    left (labels), the others right (numbers)."""
    widths = [max(columns(row[i]) for row in rows) for i in range(len(rows[0]))]

    def cell(i: int, text: str) -> str:
        padding = " " * (widths[i] - columns(text))
        return text + padding if i < left else padding + text

    return "\n".join(" ".join(cell(i, text) for i, text in enumerate(row)).rstrip() for row in rows)


def moment(at: datetime, zone: str) -> str:
    """A moment as the reader writes a date and a time, in the time zone `zone` (the firm's)."""
    locale = current_locale()
    local = at.astimezone(ZoneInfo(zone))
    pattern: str = Locale.parse(locale).datetime_formats["medium"]  # "{1}, {0}": the date, then the time
    return pattern.format(format_time(local, "short", tzinfo=local.tzinfo, locale=locale),
                          format_date(local, "medium", locale=locale))

"""Monospace tables that fit a phone held upright, for a template's <pre> block: the words come from the template,
the alignment from here."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Final

__all__ = ["PHONE_COLUMNS", "columns", "text_table"]

# Display columns a <pre> line may take to fit a phone held upright without wrapping.
PHONE_COLUMNS: Final = 32


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

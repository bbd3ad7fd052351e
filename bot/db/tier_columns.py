"""The tier figures as columns: which columns of `tier_states` and `tier_snapshots` hold each dimension.

One map for the writer (scoring) and the readers (the chat, the adviser screens), so that neither builds column
names of its own nor reads rows by position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from tiering import Assessment, Dimension

__all__ = [
    "DIMENSION_COLUMNS",
    "FIGURE_COLUMNS",
    "STATE_COLUMNS",
    "DimensionColumns",
    "dimension_figures",
    "figures_of",
]


@dataclass(frozen=True, slots=True)
class DimensionColumns:
    score: str
    segment: str


DIMENSION_COLUMNS: Final[Mapping[Dimension, DimensionColumns]] = {
    Dimension.ASSET_SIZE: DimensionColumns("asset_score", "asset_segment"),
    Dimension.ACTIVITY: DimensionColumns("activity_score", "activity_segment"),
    Dimension.LIFECYCLE: DimensionColumns("lifecycle_score", "lifecycle_segment"),
    Dimension.COMPLEXITY: DimensionColumns("complexity_score", "complexity_segment"),
    Dimension.LOYALTY: DimensionColumns("loyalty_score", "loyalty_segment"),
}
# The latest evaluation's figures, kept in both the state and each snapshot.
FIGURE_COLUMNS: Final = ("value_score", "monthly_avg_aum",
                         *(name for c in DIMENSION_COLUMNS.values() for name in (c.score, c.segment)))
# Everything a tier state holds besides the client id.
STATE_COLUMNS: Final = ("tier", "months_below", "evaluated_on", "qualified_tier", *FIGURE_COLUMNS)


def figures_of(assessment: Assessment) -> dict[str, Any]:
    """The assessment's figures, by column."""
    row: dict[str, Any] = {"value_score": assessment.value_score, "monthly_avg_aum": assessment.avg_aum}
    for dimension, columns in DIMENSION_COLUMNS.items():
        scored = assessment.dimensions[dimension]
        row[columns.score] = scored.score
        row[columns.segment] = str(scored.segment)
    return row


def dimension_figures(row: Mapping[Any, Any]) -> tuple[tuple[Dimension, str, float], ...]:
    """(dimension, segment, score) of each dimension in display order, from a row holding the figure columns."""
    return tuple((dimension, row[c.segment], row[c.score]) for dimension, c in DIMENSION_COLUMNS.items())

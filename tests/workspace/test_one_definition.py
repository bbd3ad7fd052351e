"""One definition each: the engine's segment ids are named by the engine alone, and the audit trail has words for
the actions the code writes, none for an action nobody writes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from support.paths import REPOSITORY

from tiering import Segment

# The areas that read loyalty segments back from the database: the admin's counts, the book's filters, the card.
READING_AREAS = ("bot/workspace", "bot/standing", "bot/alerts", "handlers")
_ACTION_WORDS = re.compile(r'line\.action == "([a-z_.]+)"')
# The asset-size segments' ids are the default rules' tier ids too, which a module may well spell as tiers.
_SEGMENT_IDS = {segment.value for segment in Segment} - {Segment.ORDINARY, Segment.MID, Segment.HIGH_NET_WORTH}


def _sources(*areas: str) -> list[Path]:
    return [path for area in areas for path in sorted((REPOSITORY / area).rglob("*.py"))]


def _names_a_segment(value: ast.expr) -> bool:
    """A constant of a segment id: its text ("potential_churn"), or the engine's member renamed
    (`Segment.POTENTIAL_CHURN`, `str(Segment.POTENTIAL_CHURN)`, `Segment.POTENTIAL_CHURN.value`)."""
    if isinstance(value, ast.Constant):
        return value.value in _SEGMENT_IDS
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "str":
        return len(value.args) == 1 and _names_a_segment(value.args[0])
    if isinstance(value, ast.Attribute):
        inner = value.value if value.attr == "value" else value
        return (isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name)
                and inner.value.id == "Segment" and inner.attr in Segment.__members__)
    return False


def test_segment_ids_are_the_engine_s_alone() -> None:
    renamed = []
    for path in _sources(*READING_AREAS):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if value is not None and _names_a_segment(value):
                renamed.append(f"{path.relative_to(REPOSITORY)}:{node.lineno}")
    assert renamed == [], "use tiering.Segment"


def test_the_audit_trail_has_words_for_written_actions_only() -> None:
    template = (REPOSITORY / "templates" / "admin" / "audit.html.j2").read_text(encoding="utf-8")
    code = "\n".join(path.read_text(encoding="utf-8") for path in _sources("bot"))
    described = set(_ACTION_WORDS.findall(template))
    assert described
    assert {action for action in described if f'"{action}"' not in code} == set()

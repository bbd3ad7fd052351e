"""The tier rules in force: a firm's rules file, or the rules that ship with tierbot."""

from __future__ import annotations

from pathlib import Path

from tiering import DEFAULT_RULES_PATH, TierRules, parse_rules

__all__ = ["load_rules"]


def load_rules(path: Path | None) -> TierRules:
    """The rules in `path`, or the default rules; RulesError names what is wrong in a bad file."""
    source = path or DEFAULT_RULES_PATH
    return parse_rules(source.read_text(encoding="utf-8"), source=source.name)

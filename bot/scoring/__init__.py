"""Scoring the firm's clients: set-based features from the database, tiers from `tiering`, the tier history kept
and advisers alerted of what changed. Imports nothing of aiogram."""

from bot.scoring.rules import load_rules
from bot.scoring.service import (
    AsOfRefused,
    NothingToScore,
    RulesVersionReused,
    ScoringReport,
    VersionReused,
    count_clients,
    score_clients,
    version_reused,
)

__all__ = ["AsOfRefused", "NothingToScore", "RulesVersionReused", "ScoringReport", "VersionReused", "count_clients",
           "load_rules", "score_clients", "version_reused"]

"""Scoring the firm's clients: set-based features from the database, tiers from `tiering`, history kept."""

from bot.scoring.service import NothingToScore, ScoringReport, load_rules, score_clients

__all__ = ["NothingToScore", "ScoringReport", "load_rules", "score_clients"]

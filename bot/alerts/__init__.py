"""Alerts for advisers: which changes in a client's standing an adviser hears about, and the alerts raised for
them. Imports nothing of aiogram: a scoring run raises alerts, and delivery sends them."""

from bot.alerts.policy import StandingChange, alerts_due
from bot.alerts.store import raise_alerts

__all__ = ["StandingChange", "alerts_due", "raise_alerts"]

"""Campaigns: surveys and strategy messages pushed to an audience of clients through the delivery outbox, with
consent and fatigue rules, the answers taken in chat, and the results. Imports nothing of aiogram."""

from typing import Final

from bot.db.models import CampaignKind, CampaignStatus

# The outbox kinds of campaigns (each rendered by the renderer `handlers.renderers()` names for it). Payloads:
# a survey or strategy message {"campaign_id": 7, "client_id": "C00042"} (dedupe key "campaign:7:C00042"); a
# feedback alert to the adviser {"alert_id": 12} (dedupe key "feedback:7:C00042").
SURVEY_KIND: Final = "survey"
STRATEGY_KIND: Final = "strategy"
FEEDBACK_KIND: Final = "feedback_alert"
# The ids a campaign can have (campaigns.id is a 32-bit INTEGER): a number typed or forged past them names none.
CAMPAIGN_IDS: Final = range(1, 2**31)


def campaign_number(text: str) -> int | None:
    """The campaign id a person typed (digits, spaces around them allowed), or None when it can name none."""
    digits = text.strip()
    if digits.isascii() and digits.isdecimal() and len(digits) <= 10 and int(digits) in CAMPAIGN_IDS:
        return int(digits)
    return None


__all__ = ["CAMPAIGN_IDS", "FEEDBACK_KIND", "STRATEGY_KIND", "SURVEY_KIND", "CampaignKind", "CampaignStatus",
           "campaign_number"]

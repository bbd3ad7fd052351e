"""The names a reader sees for the engine's ids: tiers, dimensions, segments, product categories, and languages.

Marked with N_ so that extraction puts them in the catalogs; translated when shown, in the reader's locale.
Tier names come from the rules file: the default rules' names are here; a firm's own names show as written
until they are added to the catalogs. Segments have two names: the analytic one staff read, and the one a client
reads of themselves (`segment_name` gives the client's unless told `own=False`: a screen for staff must ask).
"""

from __future__ import annotations

from functools import cache
from typing import Final

from babel import Locale, UnknownLocaleError

from bot.i18n.catalogs import current_locale, gettext
from bot.i18n.scripts import to_traditional
from tiering import TierRules


def N_(message: str) -> str:
    return message


TIER_NAMES: Final = (N_("Ordinary"), N_("Mid-tier"), N_("High-net-worth"))

DIMENSIONS: Final = {
    "asset_size": N_("Asset size"),
    "activity": N_("Activity"),
    "lifecycle": N_("Lifecycle"),
    "complexity": N_("Need complexity"),
    "loyalty": N_("Loyalty"),
}

# The analytic names, as staff read them (an adviser's look-up of a client, alerts, summaries).
SEGMENTS: Final = {
    "ordinary": N_("ordinary"),
    "mid": N_("mid"),
    "high_net_worth": N_("high-net-worth"),
    "high_frequency": N_("high-frequency"),
    "low_frequency": N_("low-frequency"),
    "new": N_("new client"),
    "growth": N_("growth"),
    "mature": N_("mature"),
    "decline": N_("decline"),
    "single_need": N_("single need"),
    "diverse_needs": N_("diverse needs"),
    "loyal": N_("loyal"),
    "potential_churn": N_("at risk of leaving"),
}

# What a client reads of their own segments: the firm's service language wherever the analytic name would tell
# them how the firm rates them; the other names read the same.
CLIENT_SEGMENTS: Final = {
    **SEGMENTS,
    "low_frequency": N_("at your own pace"),
    "decline": N_("let's review your plans"),
    "potential_churn": N_("we'd like to hear from you"),
}

CATEGORIES: Final = {
    "deposit": N_("deposits"),
    "wealth_management": N_("wealth management products"),
    "fund": N_("funds"),
    "bond": N_("bonds"),
    "insurance": N_("insurance"),
    "equity": N_("equities"),
    "private": N_("private funds and trusts"),
    "other": N_("other products"),
}


def tier_name(rules: TierRules, tier_id: str) -> str:
    return gettext(rules.tier(tier_id).name)


def dimension_name(dimension: str) -> str:
    return gettext(DIMENSIONS[dimension])


# Why the engine did not score a client (tiering.Rejection.reason), for the operator.
REJECTIONS: Final = {
    "onboarded_after_as_of": N_("onboarded after the scoring day"),
    "activity_after_as_of": N_("activity dated after the scoring day"),
    "history_length": N_("a history of the wrong length"),
    "p_alive_out_of_range": N_("a churn model figure out of range"),
    "survey_score_out_of_range": N_("a survey score out of range"),
    "risk_level_out_of_range": N_("a risk level out of range"),
    "negative_aum": N_("negative assets"),
    "negative_activity": N_("a negative count of activity"),
}


def rejection_name(reason: str) -> str:
    """Why a client was not scored, in words; the engine's code itself for a reason it has no words for yet."""
    return gettext(REJECTIONS[reason]) if reason in REJECTIONS else reason


def segment_name(segment: str, *, own: bool = True) -> str:
    """The segment's name for a client reading their own (`own`), else for staff: the analytic name."""
    return gettext((CLIENT_SEGMENTS if own else SEGMENTS)[segment])


def product_name(name_en: str, name_zh: str, name_zh_hant: str | None, locale: str | None = None) -> str:
    """A product's name in the reader's language: the firm's Traditional name for zh_Hant, else its Simplified
    name in Traditional characters."""
    match locale or current_locale():
        case "zh_Hans":
            return name_zh
        case "zh_Hant":
            return name_zh_hant or to_traditional(name_zh)
        case _:
            return name_en


def category_name(category: str) -> str:
    return gettext(CATEGORIES.get(category, CATEGORIES["other"]))


@cache
def _language_name(locale: str, reader: str) -> str:
    try:
        return Locale.parse(locale).get_display_name(reader) or locale
    except (ValueError, UnknownLocaleError):
        return locale


def language_name(locale: str) -> str:
    """The language of a locale code as the reader names it ("Chinese (Simplified)", "中文（简体）"); a code Babel
    does not know shows as it is."""
    return _language_name(locale, current_locale())

"""The book's pure rules: when a risk assessment lapses (as recommendations count it), which argument of /client is
an id, and which filters a button may carry."""

from __future__ import annotations

from datetime import date, timedelta

from bot.scoring import load_rules
from bot.workspace import BookFilter, BookQuery, BookSort, assessment_expiry, names_an_id
from bot.workspace.book import expired_by
from tiering import risk_assessment_status

RULES = load_rules(None)


def test_expiry_and_the_latest_lapsed_day_agree_with_the_recommendations_rule() -> None:
    """Every day of four years, for a one-month and a two-year validity: month ends and 29 February included."""
    for offset in range(4 * 366):
        day = date(2024, 1, 1) + timedelta(days=offset)
        for months in (1, 24):
            expires = assessment_expiry(day, months)
            assert risk_assessment_status(3, day, expires, months) == "expired", (day, months)
            assert risk_assessment_status(3, day, expires - timedelta(days=1), months) is None, (day, months)
            lapsed = expired_by(day, months)
            assert risk_assessment_status(3, lapsed, day, months) == "expired", (day, months)
            assert risk_assessment_status(3, lapsed + timedelta(days=1), day, months) is None, (day, months)


def test_an_argument_with_a_digit_is_an_id_and_a_name_is_searched() -> None:
    assert names_an_id("C00042")
    assert names_an_id("A-7")
    assert not names_an_id("chen")
    assert not names_an_id("张")
    assert not names_an_id("Chen Wei")
    assert not names_an_id("C0004 2")


def test_only_the_filters_our_buttons_carry_are_valid() -> None:
    assert BookQuery().valid(RULES)
    assert BookQuery(BookFilter.TIER, "high_net_worth", BookSort.AUM, 3).valid(RULES)
    assert BookQuery(BookFilter.STAGE, "decline").valid(RULES)
    assert not BookQuery(BookFilter.TIER, "platinum").valid(RULES)
    assert not BookQuery(BookFilter.STAGE, "loyal").valid(RULES)  # a segment, but not of the lifecycle
    assert not BookQuery(BookFilter.CHURN, "mid").valid(RULES)
    assert not BookQuery(page=-1).valid(RULES)

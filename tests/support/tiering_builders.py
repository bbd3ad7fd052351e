"""Client facts and rules for the tiering tests: one valid client to vary, and hypothesis strategies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from tiering import DEFAULT_RULES_PATH, ClientFacts, TierRules, parse_rules

RULES_TEXT = DEFAULT_RULES_PATH.read_text()
RULES = parse_rules(RULES_TEXT)
AS_OF = date(2026, 3, 31)
MONTHS = RULES.history_months
CATEGORIES = ("deposit", "wealth_management", "fund", "bond", "insurance", "equity", "private", "other")


def rules_with(old: str, new: str) -> TierRules:
    """The default rules with one piece of text replaced."""
    assert old in RULES_TEXT
    return parse_rules(RULES_TEXT.replace(old, new, 1))


def monthly(value: int | str) -> tuple[Decimal, ...]:
    return (Decimal(value),) * MONTHS


def client_facts(**changes: Any) -> ClientFacts:
    """A settled mid-tier client: five years with the firm, RMB 800k in deposits and funds, steady."""
    facts = ClientFacts(
        client_id="C001",
        as_of=AS_OF,
        onboarded_on=date(2021, 1, 15),
        monthly_aum=monthly(800_000),
        monthly_trades=(1,) * MONTHS,
        monthly_interactions=(1,) * MONTHS,
        monthly_net_flow=monthly(0),
        category_aum={"deposit": Decimal(400_000), "fund": Decimal(400_000)},
        categories_traded=frozenset({"fund"}),
        last_activity_on=AS_OF - timedelta(days=10),
        p_alive=0.9,
        survey_score=0.8,
        risk_level=3,
        risk_assessed_on=date(2025, 6, 1),
        has_adviser=True,
    )
    return replace(facts, **changes)


_money = st.decimals(min_value=0, max_value=50_000_000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def any_client_facts(draw: st.DrawFn, client_id: str = "C001") -> ClientFacts:
    """Valid facts of any shape: new or old, empty or rich, known or unknown P(alive) and survey."""
    onboarded = draw(st.dates(min_value=AS_OF - timedelta(days=365 * 15), max_value=AS_OF))
    level = draw(_money)
    aum = tuple(
        (level * draw(st.decimals(min_value=0, max_value=3, places=2))).quantize(Decimal("0.01"))
        for _ in range(MONTHS)
    )
    held = draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=4))
    last_activity = draw(st.none() | st.dates(min_value=onboarded, max_value=AS_OF))
    return ClientFacts(
        client_id=client_id,
        as_of=AS_OF,
        onboarded_on=onboarded,
        monthly_aum=aum,
        monthly_trades=tuple(draw(st.lists(st.integers(0, 30), min_size=MONTHS, max_size=MONTHS))),
        monthly_interactions=tuple(draw(st.lists(st.integers(0, 10), min_size=MONTHS, max_size=MONTHS))),
        monthly_net_flow=tuple(
            draw(st.lists(st.decimals(-1_000_000, 1_000_000, places=2), min_size=MONTHS, max_size=MONTHS))
        ),
        category_aum={category: draw(_money) for category in held},
        categories_traded=frozenset(draw(st.lists(st.sampled_from(CATEGORIES), max_size=3))),
        last_activity_on=last_activity,
        p_alive=draw(st.none() | st.floats(0, 1)),
        survey_score=draw(st.none() | st.floats(0, 1)),
        risk_level=draw(st.none() | st.integers(1, 5)),
        risk_assessed_on=draw(st.none() | st.dates(min_value=AS_OF - timedelta(days=365 * 4), max_value=AS_OF)),
        has_adviser=draw(st.booleans()),
    )

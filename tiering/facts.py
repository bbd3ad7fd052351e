"""What the tiering engine knows of a client and of the product shelf: plain data, gathered by the caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """One client's data as of a day, summarised by calendar month.

    The monthly tuples all have the same length (the rules' `history_months`), oldest month first, the last
    entry being the month of `as_of`. Entries for months before the onboarding month are zero and ignored.
    """

    client_id: str
    as_of: date
    onboarded_on: date
    # Per month: the average over that month's statement dates of the client's total balance (AUM).
    monthly_aum: tuple[Decimal, ...]
    # Per month: trades (buy, sell, transfer in/out), contacts with the firm, and net money in
    # (deposits and transfers in, less withdrawals and transfers out).
    monthly_trades: tuple[int, ...]
    monthly_interactions: tuple[int, ...]
    monthly_net_flow: tuple[Decimal, ...]
    # The latest month's average balance per product category (only categories with a balance), and the
    # categories traded over the history.
    category_aum: Mapping[str, Decimal]
    categories_traded: frozenset[str]
    last_activity_on: date | None
    # P(alive) from the churn model fitted on the firm's clients; None when the model could not be fitted.
    p_alive: float | None
    # The latest satisfaction survey score scaled to 0..1; None when the client never answered one.
    survey_score: float | None
    # C1..C5 as 1..5; None when the client never took the risk assessment.
    risk_level: int | None
    risk_assessed_on: date | None
    has_adviser: bool


@dataclass(frozen=True, slots=True)
class ShelfProduct:
    """A product on the firm's shelf that recommendations may name."""

    product_id: str
    category: str
    risk_level: int  # R1..R5 as 1..5
    min_investment: Decimal | None

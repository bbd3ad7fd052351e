"""An admin's /clients, the whole firm page by page: every client once, in the order of the sort, those not scored yet
after the scored ones (by id), for each filter that reads the tier state and both sorts, the count on every page."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat

from bot.db.models import Client, Role, TierState
from bot.demo import generate_demo_data
from bot.importer import import_path
from bot.scoring import load_rules, score_clients
from bot.workspace import PAGE_SIZE

pytestmark = pytest.mark.db

AS_OF = date(2026, 10, 31)
ROW = re.compile(r"^(\d+)\. <b>([^<]*)</b> · (\S+) · (.*)$", re.MULTILINE)
NOT_SCORED = [f"C9{number:04d}" for number in range(17)]  # imported after the run: two pages of them at least


async def _firm(engine: AsyncEngine, tmp_path: Path) -> dict[str, tuple[float, float, str, str, str] | None]:
    """A scored firm and 17 clients imported since its run: id -> (value score, assets, tier, lifecycle segment,
    loyalty segment), None for a client not scored yet."""
    generate_demo_data(tmp_path / "demo", clients=123, seed=11, as_of=AS_OF)
    await import_path(engine, tmp_path / "demo", actor="test")
    await score_clients(engine, load_rules(None), as_of=AS_OF)
    async with engine.begin() as connection:
        await connection.execute(insert(Client), [
            {"client_id": client_id, "name": f"New client {client_id}", "adviser_id": None, "onboarded_on": AS_OF}
            for client_id in NOT_SCORED])
        rows = await connection.execute(
            select(Client.client_id, TierState.value_score, TierState.monthly_avg_aum, TierState.tier,
                   TierState.lifecycle_segment, TierState.loyalty_segment)
            .outerjoin(TierState, TierState.client_id == Client.client_id))
        return {client_id: None if tier is None else (score, float(aum), tier, stage, loyalty)
                for client_id, score, aum, tier, stage, loyalty in rows}


async def _every_row(chat: Chat, admin: int, page: str, total: int) -> list[tuple[str, str]]:
    """(id, what the row says after the id) of every page, pressing Next to the end; each page's count and numbers
    checked on the way."""
    pages = -(-total // PAGE_SIZE)
    found: list[tuple[str, str]] = []
    while True:
        assert f"Page {len(found) // PAGE_SIZE + 1} of {pages}, {total} clients" in page
        rows = ROW.findall(page)
        assert [int(number) for number, *_ in rows] == list(range(len(found) + 1, len(found) + len(rows) + 1))
        found += [(client_id, rest) for _number, _name, client_id, rest in rows]
        if "Next ▶️" not in chat.buttons():
            return found
        (page,) = await chat.press(admin, chat.buttons()["Next ▶️"])


async def test_the_whole_firm_pages_in_order_with_those_not_scored_last(engine: AsyncEngine, tmp_path: Path) -> None:
    firm = await _firm(engine, tmp_path)
    scored = sum(1 for figures in firm.values() if figures is not None)
    assert scored % PAGE_SIZE  # a page holds the last scored clients and the first not scored yet
    chat = Chat(engine, rate_limit=False)
    admin = await chat.bind(Role.ADMIN, None)

    def expected(keep: str, sort: int) -> list[str]:
        """The ids meeting the filter, by the figure sorted by (largest first), then by id; those without it last."""
        kept = [i for i, figures in firm.items() if keep == "all" or (figures is not None and keep in figures[2:])]
        return sorted(kept, key=lambda i: (0, -firm[i][sort], i) if firm[i] else (1, 0.0, i))  # type: ignore[index]

    (page,) = await chat.send(admin, "/clients")
    everyone = await _every_row(chat, admin, page, len(firm))
    assert [client_id for client_id, _rest in everyone] == expected("all", 0)
    assert [client_id for client_id, rest in everyone if rest == "not scored yet"] == NOT_SCORED

    for figure, switch in ((0, "↕️ Sort by assets"), (1, "↕️ Sort by value score")):
        for filter_label, keep in (("Tier: Mid-tier", "mid"), ("Lifecycle: growth", "growth"),
                                   ("At risk of leaving", "potential_churn"), ("All clients", "all")):
            await chat.press(admin, chat.buttons()["🔎 Filter"])
            (page,) = await chat.press(admin, chat.buttons()[filter_label])
            meeting = expected(keep, figure)
            assert meeting, filter_label
            rows = await _every_row(chat, admin, page, len(meeting))
            assert [client_id for client_id, _rest in rows] == meeting, (filter_label, figure)
        await chat.press(admin, chat.buttons()[switch])

"""/clients: an adviser's book, paged and sorted and filtered with buttons that edit the message in place, each row
opening the summary; an admin's whole firm or one adviser's book. The rows are checked against the database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText
from sqlalchemy import delete, func, insert, select
from support.chat import Chat
from support.scored_clients import ADVISER_READS_ENGLISH, ScoredClients

from bot.db.models import Adviser, Client, Role, ScoringRun, TierSnapshot, TierState
from bot.workspace import ASSESSMENT_WARNING_DAYS, PAGE_SIZE
from tiering import risk_assessment_status

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

ROW = re.compile(r"^(\d+)\. <b>[^<]*</b> · (\S+) · ", re.MULTILINE)
STALE = "This button is no longer valid. Send /help to start again."
ADVISER_READS_SIMPLIFIED = Client.adviser_id.in_(select(Adviser.adviser_id).where(Adviser.locale == "zh_Hans"))
FIRM_ZONE = ZoneInfo("Asia/Shanghai")  # TIERBOT_TIMEZONE's default: its calendar judges an assessment's expiry


def row_ids(text: str) -> list[str]:
    return [client_id for _number, client_id in ROW.findall(text)]


async def _adviser(chat: Chat, clients: ScoredClients, *, english: bool = True) -> tuple[str, int]:
    """An adviser whose record reads English (or Simplified Chinese), bound to a new account: the adviser of a client
    taken."""
    client_id = await clients.take(ADVISER_READS_ENGLISH if english else ADVISER_READS_SIMPLIFIED,
                                   Client.adviser_id.is_not(None))
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    return adviser_id, await chat.bind(Role.ADVISER, adviser_id)


async def _book(chat: Chat, adviser_id: str) -> dict[str, tuple[float, float, str]]:
    """The adviser's scored clients: id -> (value score, AUM, tier)."""
    async with chat.engine.connect() as connection:
        rows = await connection.execute(
            select(Client.client_id, TierState.value_score, TierState.monthly_avg_aum, TierState.tier)
            .join(TierState, TierState.client_id == Client.client_id).where(Client.adviser_id == adviser_id))
        return {client_id: (score, float(aum), tier) for client_id, score, aum, tier in rows}


async def _pick(chat: Chat, user_id: int, label: str) -> str:
    """Open the filters and press the one labelled `label`: the first page of the filtered book."""
    (menu,) = await chat.press(user_id, chat.buttons()["🔎 Filter"])
    assert "Which clients to list" in menu
    (page,) = await chat.press(user_id, chat.buttons()[label])
    return page


async def test_the_book_pages_in_place_and_sorts_both_ways(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, user_id = await _adviser(chat, clients)
    book = await _book(chat, adviser_id)
    pages = -(-len(book) // PAGE_SIZE)
    assert pages > 2  # a book worth paging

    (first,) = await chat.send(user_id, "/clients")
    assert first.startswith("<b>Your clients</b>\nSorted by value score · all clients\n")
    assert f"Page 1 of {pages}, {len(book)} clients" in first
    ids = row_ids(first)
    assert len(ids) == PAGE_SIZE
    assert set(ids) <= set(book)
    assert [book[i][0] for i in ids] == sorted((book[i][0] for i in ids), reverse=True)
    buttons = chat.buttons()
    assert [buttons[label] for label in buttons if label[0].isdigit()] == [f"sum:{i}" for i in ids]
    assert "◀️ Previous" not in buttons

    (second,) = await chat.press(user_id, buttons["Next ▶️"])
    assert isinstance(chat.bot.session.requests[0], EditMessageText)  # in place
    assert f"Page 2 of {pages}, {len(book)} clients" in second
    second_ids = row_ids(second)
    assert ROW.findall(second)[0][0] == str(PAGE_SIZE + 1)  # numbered through the book
    assert not set(second_ids) & set(ids)
    assert min(book[i][0] for i in ids) >= max(book[i][0] for i in second_ids)
    (back,) = await chat.press(user_id, chat.buttons()["◀️ Previous"])
    assert back == first

    (by_assets,) = await chat.press(user_id, chat.buttons()["↕️ Sort by assets"])
    assert "Sorted by monthly average assets · all clients" in by_assets
    top = sorted(book, key=lambda i: (-book[i][1], i))[:PAGE_SIZE]
    assert row_ids(by_assets) == top
    assert "↕️ Sort by value score" in chat.buttons()

    last = f"book:all::aum:{pages - 1}:"
    (last_page,) = await chat.press(user_id, last)
    assert f"Page {pages} of {pages}" in last_page
    assert "Next ▶️" not in chat.buttons()
    assert len(row_ids(last_page)) == len(book) - (pages - 1) * PAGE_SIZE


async def test_each_filter_lists_only_clients_that_meet_it(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, user_id = await _adviser(chat, clients)
    book = await _book(chat, adviser_id)
    await chat.send(user_id, "/clients")
    async with chat.engine.connect() as connection:
        states = {row.client_id: row for row in await connection.execute(
            select(TierState.client_id, TierState.tier, TierState.lifecycle_segment, TierState.loyalty_segment,
                   Client.risk_level, Client.risk_assessed_on)
            .join(Client, Client.client_id == TierState.client_id).where(Client.adviser_id == adviser_id))}

    async def every_row(page: str) -> list[str]:
        """The ids on every page of the filtered book, pressing Next to the end."""
        found = row_ids(page)
        while "Next ▶️" in chat.buttons():
            (page,) = await chat.press(user_id, chat.buttons()["Next ▶️"])
            found += row_ids(page)
        return found

    mid = await every_row(await _pick(chat, user_id, "Tier: Mid-tier"))
    assert mid
    assert mid == [i for i in sorted(book, key=lambda i: (-book[i][0], i)) if book[i][2] == "mid"]

    decline = await every_row(await _pick(chat, user_id, "Lifecycle: decline"))
    assert set(decline) == {i for i, s in states.items() if s.lifecycle_segment == "decline"}

    churn_page = await _pick(chat, user_id, "At risk of leaving")
    assert "Sorted by value score · At risk of leaving\nPage 1 of " in churn_page  # no blank line in the header
    churn = await every_row(churn_page)
    assert churn
    assert set(churn) == {i for i, s in states.items() if s.loyalty_segment == "potential_churn"}

    page = await _pick(chat, user_id, "Risk assessment missing or expiring within 60 days")
    assert "Sorted by value score · Risk assessment missing or expiring within 60 days\n" in page
    due = await every_row(page)
    warned = datetime.now(FIRM_ZONE).date() + timedelta(days=ASSESSMENT_WARNING_DAYS)
    assert due
    assert set(due) == {i for i, s in states.items()
                                if risk_assessment_status(s.risk_level, s.risk_assessed_on, warned, 24) is not None}

    everyone = await every_row(await _pick(chat, user_id, "All clients"))
    assert sorted(everyone) == sorted(book)


async def test_tier_changed_lately_means_a_change_in_a_run_within_30_days_of_the_latest(
    chat: Chat, clients: ScoredClients
) -> None:
    adviser_id, user_id = await _adviser(chat, clients)
    moved = await clients.take(Client.adviser_id == adviser_id, tier="mid")
    moved_long_ago = await clients.take(Client.adviser_id == adviser_id, tier="mid")
    async with chat.engine.begin() as connection:
        latest_run, as_of = (await connection.execute(
            select(ScoringRun.id, ScoringRun.as_of).where(ScoringRun.finished_at.is_not(None))
            .order_by(ScoringRun.id.desc()).limit(1))).one()
        # A run two months before, of which only the snapshot is left (never finished: no view reads it as latest).
        old_run = (await connection.execute(insert(ScoringRun).values(
            rules_version="2026.1", as_of=as_of - timedelta(days=61), started_at=datetime.now(UTC),
        ).returning(ScoringRun.id))).scalar_one()
        snapshots = []
        for client_id, run_id in ((moved, latest_run), (moved_long_ago, old_run)):
            snapshot = TierSnapshot.__table__
            row = (await connection.execute(select(snapshot).where(snapshot.c.client_id == client_id)
                                            .order_by(snapshot.c.id.desc()).limit(1))).mappings().one()
            copy = {key: value for key, value in row.items() if key != "id"}
            snapshots.append({**copy, "previous_tier": "ordinary", "scoring_run_id": run_id})
        inserted = (await connection.execute(
            insert(TierSnapshot).returning(TierSnapshot.id), snapshots)).scalars().all()
    try:
        await chat.send(user_id, "/clients")
        page = await _pick(chat, user_id, "Tier changed in the last 30 days")
        assert "Page 1 of 1, 1 client" in page
        assert row_ids(page) == [moved]
        (summary,) = await chat.press(user_id, f"sum:{moved}")
        assert "up from Ordinary to Mid-tier: monthly average assets of CN¥" in summary
        assert "reached its line of CN¥500,000 (rules 2026.1)" in summary
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(delete(TierSnapshot).where(TierSnapshot.id.in_(inserted)))
            await connection.execute(delete(ScoringRun).where(ScoringRun.id == old_run))


async def test_the_book_in_chinese(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, user_id = await _adviser(chat, clients, english=False)
    book = await _book(chat, adviser_id)
    (page,) = await chat.send(user_id, "/clients", language_code="zh-hans")
    assert page.startswith("<b>我的客户</b>\n按价值评分排序 · 全部客户\n")
    assert f"第 1 页，共 {-(-len(book) // PAGE_SIZE)} 页，{len(book)} 位客户" in page
    assert {"下一页 ▶️", "↕️ 按资产排序", "🔎 筛选"} <= set(chat.buttons())
    (menu,) = await chat.press(user_id, chat.buttons()["🔎 筛选"], language_code="zh-hans")
    assert "筛选客户" in menu
    assert {"全部客户", "等级：中端客户", "生命周期：衰退期", "有流失风险", "近 30 天等级有变动",
            "风险测评缺失或 60 天内到期"} <= set(chat.buttons())
    (mid,) = await chat.press(user_id, chat.buttons()["等级：中端客户"], language_code="zh-hans")
    assert "按价值评分排序 · 等级：中端客户\n" in mid
    assert row_ids(mid)
    assert all(book[i][2] == "mid" for i in row_ids(mid))
    assert " · 中端客户 · " in mid


async def test_forged_book_buttons_show_no_rows(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, user_id = await _adviser(chat, clients)
    async with chat.engine.connect() as connection:
        other = (await connection.execute(select(Adviser.adviser_id).where(Adviser.adviser_id != adviser_id)
                                          .order_by(Adviser.adviser_id).limit(1))).scalar_one()
    pages = -(-len(await _book(chat, adviser_id)) // PAGE_SIZE)
    for forged in (f"book:all::value:0:{other}", f"bookm:value:{other}", f"book:all::value:{pages}:",
                   "book:tier:99:value:0:", "book:tier:mid:value:0:", "book:stage:asleep:value:0:",
                   "book:churn:x:value:0:", "book:all::value:-1:"):
        assert await chat.press(user_id, forged) == [], forged
        (answered,) = chat.bot.session.sent(AnswerCallbackQuery)
        assert answered.text == STALE, forged


async def test_an_admin_sees_the_firm_or_one_adviser_s_book(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, _user = await _adviser(chat, clients)
    book = await _book(chat, adviser_id)
    async with chat.engine.connect() as connection:
        firm = (await connection.execute(select(func.count()).select_from(Client))).scalar_one()
        name = (await connection.execute(select(Adviser.name).where(Adviser.adviser_id == adviser_id))).scalar_one()
    admin = await chat.bind(Role.ADMIN, None)
    await chat.send(admin, "/language")
    await chat.press(admin, chat.buttons()["English"])
    (whole,) = await chat.send(admin, "/clients")
    assert whole.startswith("<b>All clients of the firm</b>\n")
    assert f", {firm} clients" in whole
    (one,) = await chat.send(admin, f"/clients {adviser_id}")
    assert one.startswith(f"<b>Clients of {name} ({adviser_id})</b>\n")
    assert f", {len(book)} clients" in one
    assert set(row_ids(one)) <= set(book)
    (second,) = await chat.press(admin, chat.buttons()["Next ▶️"])
    assert set(row_ids(second)) <= set(book)  # the buttons carry the adviser
    (unknown,) = await chat.send(admin, "/clients A99999")
    assert unknown == "There is no adviser with the id A99999. Send /clients for the whole firm."


async def test_an_adviser_naming_another_book_gets_their_own(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, user_id = await _adviser(chat, clients)
    async with chat.engine.connect() as connection:
        other = (await connection.execute(select(Adviser.adviser_id).where(Adviser.adviser_id != adviser_id)
                                          .limit(1))).scalar_one()
    (own,) = await chat.send(user_id, "/clients")
    (asked,) = await chat.send(user_id, f"/clients {other}")
    assert asked == own


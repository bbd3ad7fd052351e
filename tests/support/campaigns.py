"""Campaigns for the chat's tests, started as a start leaves them, and their rows rendered as the sender renders them.

    started = await start_campaign(engine, CampaignKind.SURVEY, "relationship_nps", {client_id: user_id})
    rendered = await render_as_sender(engine, started.outbox[client_id])
    await set_status(engine, started.campaign_id, CampaignStatus.CLOSED)

A start writes the campaign (running), one recipient row per client with the account it goes to, and one outbox
row each: kind "survey" or "strategy", payload {"campaign_id", "client_id"}, dedupe key "campaign:<id>:<client>".

Quiet hours are read on the client's clock when a campaign's message is sent, so a test that means a message to go
now gives its client a time zone where it is day (`awake_zone()`), and one that means it held, a zone where it is
night (`asleep_zone()`).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts import load_reader
from bot.campaigns import content
from bot.config import DeliverySettings, get_settings
from bot.db import session_factory, unit_of_work
from bot.db.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    Client,
    OutboxMessage,
    OutboxStatus,
)
from bot.delivery.outbox import Queued
from bot.delivery.quiet import in_quiet_hours
from bot.delivery.sender import Postponed, Rendered, Renderer, Sender
from bot.importer import import_path
from bot.scoring import score_clients
from bot.telegram import create_i18n, reader_locale
from handlers import renderers
from support.alerting import QUIET_OFF, RULES
from support.chat import Chat
from support.mocked_bot import MockedBot
from support.paths import GOOD_IMPORT

__all__ = ["THREE_SCALES", "Started", "asleep_zone", "awake_zone", "buttons", "render_as_sender", "send_due",
           "set_status", "set_timezone", "small_firm", "start_campaign", "survey_folder"]

# A survey of three questions on the three scales, the second and third without a "why?".
THREE_SCALES = '''
questions = [
    { id = "recommend", scale = "nps", comment = true },
    { id = "satisfied", scale = "csat" },
    { id = "easy", scale = "ces" },
]

[en]
title = "After your review"
intro = "Three quick questions."

[en.questions.recommend]
text = "Would you recommend us?"
low = "Not at all likely"
high = "Extremely likely"
comment = "Why?"

[en.questions.satisfied]
text = "How satisfied are you with your review?"
low = "Very dissatisfied"
high = "Very satisfied"

[en.questions.easy]
text = "We made it easy to get what I needed."
low = "Strongly disagree"
high = "Strongly agree"

[zh_Hans]
title = "回顾之后"
intro = "三个简短的问题。"

[zh_Hans.questions.recommend]
text = "您会推荐我们吗？"
low = "完全不可能"
high = "非常可能"
comment = "为什么？"

[zh_Hans.questions.satisfied]
text = "您对这次回顾满意吗？"
low = "非常不满意"
high = "非常满意"

[zh_Hans.questions.easy]
text = "我们让您轻松办成了所需的事。"
low = "非常不同意"
high = "非常同意"

[zh_Hant]
title = "回顧之後"
intro = "三個簡短的問題。"

[zh_Hant.questions.recommend]
text = "您會推薦我們嗎？"
low = "完全不可能"
high = "非常可能"
comment = "為什麼？"

[zh_Hant.questions.satisfied]
text = "您對這次回顧滿意嗎？"
low = "非常不滿意"
high = "非常滿意"

[zh_Hant.questions.easy]
text = "我們讓您輕鬆辦好了所需的事。"
low = "非常不同意"
high = "非常同意"
'''

# Every whole-hour offset there is: one of them is day, and one night, whenever a test runs.
_ZONES = [f"Etc/GMT{offset:+d}" if offset else "Etc/GMT" for offset in range(-14, 13)]


@dataclass(frozen=True)
class Started:
    campaign_id: int
    outbox: dict[str, int]  # client id -> its outbox row


async def start_campaign(engine: AsyncEngine, kind: CampaignKind, template: str, recipients: Mapping[str, int], *,
                         started_at: datetime | None = None, not_before: datetime | None = None) -> Started:
    """A running campaign of `template` to `recipients` (client id -> Telegram user id), as a start writes it."""
    now = datetime.now(UTC)
    started_at = started_at or now
    async with engine.begin() as connection:
        campaign_id = (await connection.execute(insert(Campaign).values(
            kind=kind, template=template, audience="tests", status=CampaignStatus.RUNNING, not_before=not_before,
            created_by="tests", created_at=started_at, started_at=started_at).returning(Campaign.id))).scalar_one()
        outbox: dict[str, int] = {}
        for client_id, user_id in recipients.items():
            outbox[client_id] = (await connection.execute(insert(OutboxMessage).values(
                kind=kind.value, telegram_user_id=user_id, payload={"campaign_id": campaign_id, "client_id": client_id},
                dedupe_key=f"campaign:{campaign_id}:{client_id}", status=OutboxStatus.PENDING, attempts=0,
                next_attempt_at=not_before or now, created_at=now, campaign_id=campaign_id,
            ).returning(OutboxMessage.id))).scalar_one()
            locale = (await connection.execute(select(Client.locale).where(Client.client_id == client_id))).scalar()
            await connection.execute(insert(CampaignRecipient).values(
                campaign_id=campaign_id, client_id=client_id, kind=kind, telegram_user_id=user_id,
                outbox_id=outbox[client_id], queued_at=now, locale=locale))
    return Started(campaign_id, outbox)


async def set_status(engine: AsyncEngine, campaign_id: int, status: CampaignStatus) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(Campaign).where(Campaign.id == campaign_id).values(
            status=status, closed_at=datetime.now(UTC) if status is CampaignStatus.CLOSED else None))


async def set_timezone(engine: AsyncEngine, client_id: str, zone: str | None) -> None:
    async with engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == client_id).values(timezone=zone))


def _zone(quiet_now: bool) -> str:
    quiet = get_settings().delivery.quiet
    assert quiet is not None, "quiet hours are off in this environment"
    now = datetime.now(UTC)
    for name in _ZONES:
        zone = ZoneInfo(name)
        # Within (or out of) quiet hours for the next hour, so that the test does not straddle their edge.
        if all(in_quiet_hours(now + timedelta(minutes=m), quiet, zone) is quiet_now for m in range(0, 61, 10)):
            return name
    raise LookupError("no whole-hour zone fits")


def awake_zone() -> str:
    """A time zone where it is outside quiet hours now and for the next hour."""
    return _zone(False)


def asleep_zone() -> str:
    """A time zone where it is within quiet hours now and for the next hour."""
    return _zone(True)


async def render_as_sender(engine: AsyncEngine, outbox_id: int, *, renderer: Renderer | None = None
                           ) -> Rendered | Postponed | None:
    """Outbox row `outbox_id` rendered as the sender renders a row it claimed: in a unit of work of its own, by the
    renderer of its kind, in its recipient's language."""
    async with engine.connect() as connection:
        row = (await connection.execute(select(OutboxMessage).where(OutboxMessage.id == outbox_id))).one()._mapping
    queued = Queued(outbox_id, row["kind"], row["telegram_user_id"], row["payload"], row["attempts"] + 1)
    i18n = create_i18n("en")
    async with unit_of_work(session_factory(engine)) as work:
        reader = await load_reader(work.session, queued.telegram_user_id)
        locale = await reader_locale(reader, None, None, i18n.default_locale)
        with i18n.context(), i18n.use_locale(locale):
            return await (renderer or renderers()[queued.kind])(work.session, queued, reader)


async def send_due(engine: AsyncEngine, *, renderers_: Mapping[str, Renderer] | None = None
                   ) -> dict[int, list[SendMessage]]:
    """Run the real sender (to a Bot that records) until nothing is due; what it sent, by chat."""
    bot = MockedBot()
    sender = Sender(engine, bot, renderers() if renderers_ is None else renderers_,
                    settings=DeliverySettings(per_chat_interval=0), default_locale="en")
    await sender.run(once=True)
    sent: dict[int, list[SendMessage]] = {}
    for request in bot.session.sent(SendMessage):
        sent.setdefault(int(request.chat_id), []).append(request)
    return sent


def buttons(markup: Any) -> dict[str, str]:
    """Label -> callback data of an inline keyboard."""
    assert isinstance(markup, InlineKeyboardMarkup)
    return {button.text: button.callback_data or "" for row in markup.inline_keyboard for button in row}


async def small_firm(engine: AsyncEngine, directory: Path) -> Chat:
    """The small firm of the import tests (advisers A001 王丽, who reads Chinese, and A002 "Smith, John"; clients
    C00001 张伟 of A001, C3 assessed in 2025; C00002 "Brown, Mary" of A002, never assessed; C00003 李秀英 of A001,
    C4 assessed in 2023, lapsed), imported and scored on `engine`, and a chat on it. Its clients' clocks read day."""
    shutil.copytree(GOOD_IMPORT, directory / "data")
    await import_path(engine, directory / "data", actor="tests")
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    async with engine.begin() as connection:
        await connection.execute(update(Client).values(timezone=awake_zone()))
    return Chat(engine, rate_limit=False)


def survey_folder(directory: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The operator's survey folder, in `directory`, holding THREE_SCALES (as "after_review") besides the surveys
    that ship; its survey's id."""
    folder = directory / "surveys"
    folder.mkdir()
    for survey in content.SURVEYS_DIR.glob("*.toml"):
        (folder / survey.name).write_bytes(survey.read_bytes())
    (folder / "after_review.toml").write_text(THREE_SCALES, encoding="utf-8")
    monkeypatch.setattr(content, "SURVEYS_DIR", folder)
    return "after_review"

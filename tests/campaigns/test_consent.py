"""The consent ledger as the chat and the campaigns read it: the refusal words, the version of the wording shown,
the latest record in force (none: the onboarding consent), and the audience's SQL form of a refusal."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.campaigns import small_firm
from support.paths import REPOSITORY

from bot.accounts import AllowedClient, Reader, grant_access
from bot.campaigns.consent import (
    CONFIRMATION_TEMPLATE,
    MENU_TEMPLATE,
    REFUSAL_WORDS,
    change_marketing,
    has_consent,
    is_refusal,
    marketing_allowed,
    record_consent,
    refused,
    text_version,
)
from bot.db import session_factory, unit_of_work
from bot.db.models import Client, ConsentRecord, Role


@pytest.mark.parametrize("text", ["退订", "stop", "STOP", "Stop.", "  unsubscribe!  ", "UNSUBSCRIBE", "退订。",
                                  "取消订阅", "取消訂閱", "退訂！"])
def test_a_refusal_word_alone_in_any_case_or_punctuation_refuses(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize("text", ["", "stop it", "please stop", "退订了", "我要退订", "unsubscribed", "s t o p"])
def test_anything_more_or_else_is_no_refusal(text: str) -> None:
    assert not is_refusal(text)


def test_the_words_are_the_sms_opt_out_words_in_both_languages() -> None:
    # Traditional 退訂 and 取消訂閱 are read through the Simplified words (normalize converts them).
    assert frozenset({"退订", "取消订阅", "stop", "unsubscribe"}) == REFUSAL_WORDS


def test_the_version_names_the_template_its_source_digest_and_the_locale() -> None:
    source = (REPOSITORY / "templates" / CONFIRMATION_TEMPLATE).read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:12]
    assert text_version(CONFIRMATION_TEMPLATE, "zh_Hans") == f"campaigns/consent.html.j2@{digest}:zh_Hans"
    assert text_version(CONFIRMATION_TEMPLATE, "zh_Hant") == f"campaigns/consent.html.j2@{digest}:zh_Hant"
    assert text_version(CONFIRMATION_TEMPLATE, "en") == f"campaigns/consent.html.j2@{digest}:en"
    assert len(text_version(CONFIRMATION_TEMPLATE, "zh_Hans")) <= 64  # the column's width


async def _allowed(session: object, client_id: str, user_id: int) -> AllowedClient:
    reader = Reader(user_id, Role.CLIENT, client_id=client_id)
    allowed = await grant_access(session, reader, None)  # type: ignore[arg-type]
    assert isinstance(allowed, AllowedClient)
    return allowed


@pytest.mark.db
async def test_the_latest_record_is_in_force_and_a_client_without_one_has_consent(engine: AsyncEngine,
                                                                                  tmp_path: Path) -> None:
    await small_firm(engine, tmp_path)
    now = datetime.now(UTC)
    sessions = session_factory(engine)
    async with unit_of_work(sessions) as work:
        allowed = await _allowed(work.session, "C00001", 7_001)
        assert await has_consent(work.session, "C00001")
        assert await marketing_allowed(work.session, allowed.reader) is True
        version = text_version(MENU_TEMPLATE, "en")
        first = await change_marketing(work.session, allowed, granted=False, channel="telegram:word",
                                       text_version=version, now=now)
        again = await change_marketing(work.session, allowed, granted=False, channel="telegram:command",
                                       text_version=version, now=now + timedelta(seconds=1))
    assert (first.granted, first.changed, again.changed) == (False, True, False)
    async with engine.begin() as connection:  # a command's transaction: the ledger on a plain connection
        assert not await has_consent(connection, "C00001")
        assert [row[0] for row in await connection.execute(select(Client.client_id).where(refused()))] == ["C00001"]
        assert await record_consent(connection, "C00001", granted=True, channel="cli", text_version="cli",
                                    now=now + timedelta(seconds=2))
        assert await has_consent(connection, "C00001")
        assert (await connection.execute(select(Client.client_id).where(refused()))).all() == []
    async with sessions() as session:
        records = (await session.execute(select(
            ConsentRecord.granted, ConsentRecord.channel, ConsentRecord.telegram_user_id).order_by(ConsentRecord.id)
        )).all()
        assert await marketing_allowed(session, Reader(7_002, Role.ADVISER, adviser_id="A001")) is None
        assert await marketing_allowed(session, Reader(7_003)) is None
    assert [tuple(r) for r in records] == [(False, "telegram:word", 7_001), (True, "cli", None)]

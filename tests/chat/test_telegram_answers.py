"""Telegram's own answers to the bot's replies, through the Bot API stand-in over HTTP, with the bot polling it as
`tierbot run` does: a 429 is waited out and the reply sent again (a few times at most), refusals reach the log with
the update's id and no chat id, and blocking or unblocking the bot is recorded on the person's account."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import new_user_id
from support.scored_clients import ScoredClients
from support.telegram_standin import BotApiStandIn, eventually

from bot.accounts import create_invite
from bot.config import FirmSettings, RedisSettings, Settings, TelegramSettings
from bot.db import session_factory
from bot.db.models import AuditEntry, Role, TelegramAccount
from bot.runtime.dispatcher import create_bot, create_dispatcher
from bot.telegram import RetryAfterMiddleware

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

HELP = "What I can do"  # the start of the /help reply
APOLOGY = "Sorry, something went wrong"


class Waits:
    """The middleware's sleep: records how long it was asked to wait, and does not wait."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@asynccontextmanager
async def polling(engine: AsyncEngine, standin: BotApiStandIn, retry: RetryAfterMiddleware) -> AsyncIterator[None]:
    """The bot as `tierbot run` builds it, long-polling the stand-in for the update types its routers handle."""
    settings = Settings(telegram=TelegramSettings(token=standin.token, api=standin.base_url),
                        firm=FirmSettings(default_locale="en"), redis=RedisSettings(url=None))
    bot = create_bot(settings, retry=retry)
    dispatcher = create_dispatcher(engine, settings, rate_limit=False)
    task = asyncio.create_task(dispatcher.start_polling(
        bot, handle_signals=False, polling_timeout=1, allowed_updates=dispatcher.resolve_used_update_types()))
    try:
        await standin.wait_for("getUpdates", after=0)
        yield
    finally:
        await dispatcher.stop_polling()
        await task
        await bot.session.close()


async def test_a_reply_refused_with_429_is_sent_again_after_the_wait(scored_engine: AsyncEngine) -> None:
    user_id, waits = new_user_id(), Waits()
    async with BotApiStandIn() as standin, polling(scored_engine, standin, RetryAfterMiddleware(sleep=waits)):
        standin.fail_next("sendMessage", 429, retry_after=3)
        standin.send_text(user_id, "/help")
        sent = await standin.wait_for("sendMessage", lambda call: bool(call.ok), chat_id=user_id)
        await standin.assert_no_call("sendMessage", after=sent.index + 1, chat_id=user_id)
        refused, again = standin.calls("sendMessage")
        assert refused.error is not None
        assert refused.error["error_code"] == 429
        assert again is sent
        assert waits.asked == [3]
        (reply,) = standin.messages_to(user_id)  # one answer, and no apology for what went right in the end
        assert reply["text"].startswith(HELP)


async def test_a_chat_under_flood_control_is_not_retried_forever_nor_apologised_to(
    scored_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    user_id, waits = new_user_id(), Waits()
    async with BotApiStandIn() as standin, polling(scored_engine, standin,
                                                   RetryAfterMiddleware(retries=3, patience=30, sleep=waits)):
        for _ in range(4):  # Telegram refuses every try the bot makes (a fifth would be answered, and seen)
            standin.fail_next("sendMessage", 429, retry_after=2)
        with caplog.at_level(logging.INFO):  # as `tierbot run` logs
            update = standin.send_text(user_id, "/help my secret 4711", first_name="Zebulon")
            failed = await eventually(lambda: _records(caplog, logging.ERROR))
            await standin.assert_no_call("sendMessage", after=len(standin.requests), chat_id=user_id)
        assert len(standin.calls("sendMessage")) == 4  # the reply, sent again three times; no apology after it
        assert waits.asked == [2, 2, 2]
        assert standin.messages_to(user_id) == []

        standin.fail_next("sendMessage", 429, retry_after=45)  # longer than the bot waits: not sent again
        standin.send_text(user_id, "/help")
        await standin.wait_for("sendMessage", chat_id=user_id)
        await standin.assert_no_call("sendMessage", after=len(standin.requests), chat_id=user_id)
        assert len(standin.calls("sendMessage")) == 5
        assert waits.asked == [2, 2, 2]

    (record,) = failed
    assert record.getMessage() == (f"update {update['update_id']} failed: TelegramRetryAfter on sendMessage: "
                                   "retry after 2 s")
    assert record.exc_info is not None  # the traceback stays, for the developers
    _assert_no_personal_data(caplog, user_id, "my secret 4711", "Zebulon")


async def test_telegram_refusals_reach_the_log_with_ids_of_updates_only(
    scored_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = new_user_id()
    async with BotApiStandIn() as standin, polling(scored_engine, standin, RetryAfterMiddleware(sleep=Waits())):
        with caplog.at_level(logging.INFO):  # as `tierbot run` logs
            standin.fail_next("sendMessage", 400, description=(
                'Bad Request: can\'t parse entities: Unsupported start tag "zebulon" at byte offset 0'))
            bad = standin.send_text(user_id, "/help secret one", first_name="Zebulon")
            apology = await standin.wait_for("sendMessage", lambda call: bool(call.ok), chat_id=user_id)
            assert apology["text"].startswith(APOLOGY)  # a reply that went wrong on our side

            standin.fail_next("sendMessage", 403)
            blocked = standin.send_text(user_id, "/help secret two")
            await standin.wait_for("sendMessage", chat_id=user_id)
            await eventually(lambda: _records(caplog, logging.INFO, "blocked the bot"))
            await standin.assert_no_call("sendMessage", after=len(standin.requests), chat_id=user_id)

    (error,) = _records_now(caplog, logging.ERROR)
    assert error.getMessage() == (f"update {bad['update_id']} failed: TelegramBadRequest on sendMessage: "
                                  "Bad Request: can't parse entities")
    (info,) = _records_now(caplog, logging.INFO, "blocked the bot")
    assert info.getMessage() == f"update {blocked['update_id']}: the person has blocked the bot"
    _assert_no_personal_data(caplog, user_id, "secret one", "secret two", "Zebulon", "zebulon")


async def test_blocking_and_unblocking_the_bot_are_recorded_on_the_account(
    scored_engine: AsyncEngine, clients: ScoredClients
) -> None:
    client_id = await clients.take(tier="ordinary")
    user_id, stranger = new_user_id(), new_user_id()
    async with session_factory(scored_engine)() as session, session.begin():
        token = (await create_invite(session, Role.CLIENT, client_id, created_by="tests")).token
    async with BotApiStandIn() as standin, polling(scored_engine, standin, RetryAfterMiddleware(sleep=Waits())):
        standin.send_text(user_id, f"/start {token}")
        await standin.wait_for("sendMessage", chat_id=user_id)
        assert await _account(scored_engine, user_id) is not None

        mark = standin.mark()
        kicked = standin.block(user_id)
        blocked = await eventually(lambda: _blocked_at(scored_engine, user_id))
        assert blocked == datetime.fromtimestamp(kicked["my_chat_member"]["date"], UTC)

        standin.unblock(user_id)
        await eventually(lambda: _cleared(scored_engine, user_id))

        standin.block(stranger)  # bound to nobody: nothing to record, nothing said
        standin.unblock(stranger)
        standin.send_text(user_id, "/help")  # handled after the stranger's updates
        await standin.wait_for("sendMessage", chat_id=user_id)
        assert {call["chat_id"] for call in standin.calls("sendMessage", after=mark)} == {user_id}

    assert await _account(scored_engine, stranger) is None
    async with scored_engine.connect() as connection:
        audit = (await connection.execute(
            select(AuditEntry.action, AuditEntry.client_id, AuditEntry.details)
            .where(AuditEntry.actor == f"tg:{user_id}", AuditEntry.action.like("account.%block"))
            .order_by(AuditEntry.id))).all()
        strangers = (await connection.execute(
            select(AuditEntry.id).where(AuditEntry.actor == f"tg:{stranger}"))).all()
    assert [tuple(row) for row in audit] == [
        ("account.block", client_id, {"role": "client", "adviser_id": None}),
        ("account.unblock", client_id, {"role": "client", "adviser_id": None}),
    ]
    assert strangers == []


# --- helpers ---------------------------------------------------------------------------------------------------

async def _records(caplog: pytest.LogCaptureFixture, level: int, containing: str = "") -> list[logging.LogRecord]:
    """`_records_now`, to be awaited by `eventually`."""
    return _records_now(caplog, level, containing)


def _records_now(caplog: pytest.LogCaptureFixture, level: int, containing: str = "") -> list[logging.LogRecord]:
    return [record for record in caplog.records
            if record.name == "tierbot.handlers" and record.levelno == level and containing in record.getMessage()]


def _assert_no_personal_data(caplog: pytest.LogCaptureFixture, user_id: int, *personal: str) -> None:
    logged = caplog.text  # every record of every logger, with its traceback
    assert str(user_id) not in logged
    for value in personal:
        assert value not in logged


async def _account(engine: AsyncEngine, user_id: int) -> TelegramAccount | None:
    async with session_factory(engine)() as session:
        return await session.get(TelegramAccount, user_id)


async def _blocked_at(engine: AsyncEngine, user_id: int) -> datetime | None:
    account = await _account(engine, user_id)
    return None if account is None else account.blocked_at


async def _cleared(engine: AsyncEngine, user_id: int) -> bool:
    account = await _account(engine, user_id)
    return account is not None and account.blocked_at is None

"""The stand-in's slow and strict modes, for the outbox's sender: latency, Telegram's flood control, answers that
never come, dropped connections, and a server that is not there for a while."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from support.telegram_standin import BotApiStandIn, FloodLimits

USER, OTHER = 1001, 1002


@pytest.fixture
async def tg() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as standin:
        standin.add_user(USER)
        standin.add_user(OTHER)
        yield standin


@pytest.fixture
async def bot(tg: BotApiStandIn) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    bot.session.timeout = 10  # a busy machine's slow answer is no stall: only the stall test shortens it
    yield bot
    await bot.session.close()


async def test_latency_holds_every_answer_and_calls_record_when_they_arrived(tg: BotApiStandIn, bot: Bot) -> None:
    tg.latency = 0.2
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(bot.send_message(USER, "one"), bot.send_message(OTHER, "two"))
    assert loop.time() - started >= 0.2  # no answer before its latency
    first, second = tg.calls("sendMessage")
    assert started <= first.at <= second.at <= started + 0.2  # both arrived before either was answered


async def test_flood_limits_one_message_a_second_per_chat(tg: BotApiStandIn, bot: Bot) -> None:
    tg.limits = FloodLimits(per_chat_interval=0.3)
    await bot.send_message(USER, "first")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "too soon")
    assert caught.value.retry_after == 1  # Telegram's retry_after is whole seconds
    await bot.send_message(OTHER, "another chat is not held")
    assert await bot.send_chat_action(USER, "typing")  # not a message: not counted
    await asyncio.sleep(0.3)
    await bot.send_message(USER, "in time")
    assert [message["text"] for message in tg.messages_to(USER)] == ["first", "in time"]
    assert [call.ok for call in tg.calls("sendMessage")] == [True, False, True, True]


async def test_flood_limits_messages_a_second_overall(tg: BotApiStandIn, bot: Bot) -> None:
    tg.limits = FloodLimits(per_chat_interval=0, per_second=3)
    for number in range(3):
        await bot.send_message(USER if number % 2 else OTHER, f"message {number}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "the fourth within a second")
    assert caught.value.retry_after == 1
    assert tg.calls("sendMessage")[-1].error == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    tg.limits = None
    await bot.send_message(USER, "off again")


async def test_a_stalled_call_times_out_with_or_without_the_message_delivered(tg: BotApiStandIn, bot: Bot) -> None:
    bot.session.timeout = 0.5  # a stalled call gives up soon
    tg.stall_next("sendMessage")
    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await bot.send_message(USER, "delivered, answer lost")
    tg.stall_next("sendMessage", deliver=False)
    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await bot.send_message(USER, "never delivered")
    assert [message["text"] for message in tg.messages_to(USER)] == ["delivered, answer lost"]
    await tg.wait_for("sendMessage", after=1)  # the bot hung up: the call is over
    assert [call.error and call.error["description"] for call in tg.calls("sendMessage")] == [
        "no answer: the bot gave up waiting", "no answer: the bot gave up waiting"]
    assert (await bot.send_message(USER, "next")).text == "next"  # for the next call only


async def test_a_dropped_connection_after_delivery(tg: BotApiStandIn, bot: Bot) -> None:
    tg.drop_next("sendMessage")
    with pytest.raises(TelegramNetworkError) as caught:
        await bot.send_message(USER, "delivered, connection dropped")
    assert isinstance(caught.value.__cause__, aiohttp.ServerDisconnectedError)
    assert [message["text"] for message in tg.messages_to(USER)] == ["delivered, connection dropped"]
    assert (await bot.send_message(USER, "next")).text == "next"


async def test_stopped_it_refuses_connections_and_started_again_it_is_the_same_server(
    tg: BotApiStandIn, bot: Bot
) -> None:
    await bot.send_message(USER, "before")
    url = tg.base_url
    await tg.stop()
    with pytest.raises(TelegramNetworkError) as caught:
        await bot.send_message(USER, "while it is down")
    # Refused; or, on a connection kept from before that the stand-in has just closed, not written at all.
    cause = caught.value.__cause__
    assert isinstance(cause, aiohttp.ClientConnectorError) or "Cannot write to closing transport" in repr(
        cause.__cause__ if cause else None)
    await tg.start()
    assert tg.base_url == url
    await bot.send_message(USER, "after")
    assert [message["text"] for message in tg.messages_to(USER)] == ["before", "after"]

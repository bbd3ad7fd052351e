"""The chat as people use it: updates fed through the real dispatcher, middlewares and handlers, with a Bot whose
session records what would go to Telegram.

    chat = Chat(scored_engine)
    user_id = await chat.bind(Role.CLIENT, await clients.take(tier="mid"))
    (card,) = await chat.send(user_id, "/tier")
    (gap,) = await chat.press(user_id, chat.buttons()["📈 How to move up"])
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from aiogram import Dispatcher
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts import create_invite
from bot.config import FirmSettings, RedisSettings, Settings, TelegramSettings
from bot.db import session_factory
from bot.db.models import Client, Role, TelegramAccount, TierState
from bot.runtime.dispatcher import create_dispatcher
from support.mocked_bot import MockedBot, callback_update, message_update

__all__ = ["Chat", "new_user_id"]

# Telegram user ids no test has used yet in this run (the Redis test's keys are by user id, across restarts).
_user_ids = itertools.count(5_000_001)


def new_user_id() -> int:
    """A Telegram user the bot has never heard of."""
    return next(_user_ids)


class Chat:
    """A dispatcher on a database and a recording bot, with the steps people take."""

    def __init__(self, engine: AsyncEngine, *, redis_url: str | None = None, **options: object) -> None:
        self.engine = engine
        self.settings = Settings(telegram=TelegramSettings(token="42:TEST"), firm=FirmSettings(default_locale="en"),
                                 redis=RedisSettings(url=redis_url))
        self.dispatcher: Dispatcher = create_dispatcher(engine, self.settings, **options)  # type: ignore[arg-type]
        self.bot = MockedBot()

    async def send(self, user_id: int, text: str, *, language_code: str | None = "en") -> list[str]:
        """The texts the bot sent or edited in answer to a message."""
        self.bot.session.clear()
        await self.dispatcher.feed_update(self.bot, message_update(user_id, text, language_code=language_code))
        return self.bot.session.texts()

    async def press(self, user_id: int, data: str, *, language_code: str | None = "en") -> list[str]:
        """The texts the bot sent or edited in answer to a button press."""
        self.bot.session.clear()
        await self.dispatcher.feed_update(
            self.bot, callback_update(user_id, data, message_id=77, language_code=language_code))
        return self.bot.session.texts()

    def last_keyboard(self) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
        sent = [r for r in self.bot.session.requests if isinstance(r, SendMessage | EditMessageText)]
        return sent[-1].reply_markup if sent else None  # type: ignore[return-value]

    def buttons(self) -> dict[str, str]:
        """Label -> callback data of the last inline keyboard."""
        markup = self.last_keyboard()
        assert isinstance(markup, InlineKeyboardMarkup)
        return {b.text: b.callback_data or "" for row in markup.inline_keyboard for b in row}

    async def invite(self, role: Role, target: str | None, *, ttl: timedelta = timedelta(days=7)) -> str:
        async with session_factory(self.engine)() as session, session.begin():
            return (await create_invite(session, role, target, created_by="tests", ttl=ttl)).token

    async def bind(self, role: Role, target: str | None, *, language_code: str = "en") -> int:
        """A new Telegram user linked to `target` (a client or adviser id) through an invite."""
        user_id = new_user_id()
        await self.send(user_id, f"/start {await self.invite(role, target)}", language_code=language_code)
        account = await self.account(user_id)
        assert account is not None, f"{user_id} was not linked to {target}"
        assert (account.role, account.client_id or account.adviser_id) == (role, target)
        return user_id

    async def account(self, user_id: int) -> TelegramAccount | None:
        async with session_factory(self.engine)() as session:
            return await session.get(TelegramAccount, user_id)

    async def average_assets(self, client_id: str) -> Decimal:
        """The client's monthly average assets as last scored: the figure their card and answers show."""
        async with self.engine.connect() as connection:
            amount = (await connection.execute(
                select(TierState.monthly_avg_aum).where(TierState.client_id == client_id))).scalar_one()
        assert amount is not None, f"{client_id} has no scored assets"
        return amount

    async def client_row(self, client_id: str) -> tuple[str, str | None]:
        """The client's name and adviser id."""
        async with self.engine.connect() as connection:
            name, adviser_id = (await connection.execute(
                select(Client.name, Client.adviser_id).where(Client.client_id == client_id))).one()
        return name, adviser_id

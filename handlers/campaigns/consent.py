"""A client refusing or allowing again marketing (strategy messages): /unsubscribe (also /stop), /subscribe, a
message that is only a refusal word (退订, "stop", "unsubscribe", `bot.campaigns.consent.REFUSAL_WORDS`), and the
button under every marketing message. Each writes a consent record with its channel and the version of the wording
acted on (the strategy message the button is under, the confirmation whose button it is, or the command menu for a
command or a word); the confirmation says what changed, that service messages go on, and how to undo it (with a
button that does). The confirmation is sent once the record is committed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, Refusal, grant_access
from bot.campaigns.consent import (
    CONFIRMATION_TEMPLATE,
    MENU_TEMPLATE,
    campaign_text_version,
    change_marketing,
    is_refusal,
    text_version,
)
from bot.db import UnitOfWork
from bot.i18n import current_locale, render
from bot.telegram import send
from handlers.callbacks import ConsentAction, ConsentCb
from handlers.campaigns.views import consent_keyboard

__all__ = ["IsRefusalWord", "router"]


class IsRefusalWord(Filter):
    """A message that is a refusal word and nothing else."""

    async def __call__(self, message: Message, **_data: Any) -> bool:
        return message.text is not None and is_refusal(message.text)


async def _change(bot: Bot, chat_id: int, session: AsyncSession, reader: Reader, unit_of_work: UnitOfWork, *,
                  granted: bool, channel: str, under: int | None = None) -> None:
    """`under`: the id of the message whose button was pressed; None for a command or a word."""
    allowed = await grant_access(session, reader, None)
    if isinstance(allowed, Refusal):
        # A client account bound to no client record is, for what this asks, not linked to a client account.
        reason = Refusal.NOT_LINKED if allowed is Refusal.NO_CLIENT else allowed
        await send(bot, chat_id, render("tier/unavailable.html.j2", reason=reason, role=reader.role))
        return
    locale = current_locale()
    # The wording acted on: the strategy message the button is under, else the confirmation whose button it is;
    # for a command or a word, the command menu that offers them.
    version = text_version(MENU_TEMPLATE, locale) if under is None else (
        await campaign_text_version(session, allowed, under, locale) or text_version(CONFIRMATION_TEMPLATE, locale))
    change = await change_marketing(session, allowed, granted=granted, channel=channel, text_version=version,
                                    now=datetime.now(UTC))
    text = render(CONFIRMATION_TEMPLATE, granted=change.granted, changed=change.changed)
    keyboard = consent_keyboard(change.granted)

    async def confirm() -> None:
        await send(bot, chat_id, text, keyboard)

    unit_of_work.after_commit(confirm)


async def unsubscribe(message: Message, session: AsyncSession, reader: Reader, unit_of_work: UnitOfWork) -> None:
    assert message.bot is not None
    await _change(message.bot, message.chat.id, session, reader, unit_of_work, granted=False,
                  channel="telegram:command")


async def subscribe(message: Message, session: AsyncSession, reader: Reader, unit_of_work: UnitOfWork) -> None:
    assert message.bot is not None
    await _change(message.bot, message.chat.id, session, reader, unit_of_work, granted=True,
                  channel="telegram:command")


async def refusal_word(message: Message, session: AsyncSession, reader: Reader, unit_of_work: UnitOfWork) -> None:
    assert message.bot is not None
    await _change(message.bot, message.chat.id, session, reader, unit_of_work, granted=False,
                  channel="telegram:word")


async def button(callback: CallbackQuery, callback_data: ConsentCb, session: AsyncSession, reader: Reader,
                 unit_of_work: UnitOfWork) -> None:
    """A new message, not an edit: the marketing message the button is under stays as it was sent."""
    assert callback.bot is not None
    await _change(callback.bot, callback.from_user.id, session, reader, unit_of_work,
                  granted=callback_data.action is ConsentAction.ON, channel="telegram:button",
                  under=None if callback.message is None else callback.message.message_id)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(unsubscribe, Command("unsubscribe", "stop"))
    router.message.register(subscribe, Command("subscribe"))
    router.message.register(refusal_word, F.text, IsRefusalWord())
    router.callback_query.register(button, ConsentCb.filter())
    return router

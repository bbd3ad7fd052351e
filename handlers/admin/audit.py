"""/audit CLIENT: who viewed or changed what for a client, newest first, ten entries a page, paged in place.

A page's buttons carry the client's id, the page and the newest entry counted (ids and numbers only); a press is
checked again like the command: the router admits admins only, and the trail names a client that exists.
"""

from __future__ import annotations

from functools import cache

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, example_client
from bot.config import Settings
from bot.i18n import current_locale, render
from bot.telegram import send, show
from bot.workspace import AuditPage, AuditRefusal, audit_trail
from handlers.callbacks import AuditCb
from tiering import TierRules


@cache
def _labels(locale: str) -> dict[str, str]:
    """The paging buttons' labels in `locale`, which must be the current one."""
    return {view: render("admin/button.html.j2", view=view) for view in ("newer", "older")}


def _keyboard(trail: AuditPage) -> InlineKeyboardMarkup | None:
    labels = _labels(current_locale())
    row = [
        InlineKeyboardButton(text=labels[view], callback_data=AuditCb(
            client_id=trail.client_id, page=page, upto=trail.upto).pack())
        for view, page in (("newer", trail.page - 1), ("older", trail.page + 1)) if 0 <= page < trail.pages
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


async def _render(session: AsyncSession, reader: Reader, rules: TierRules, settings: Settings, client_id: str,
                  page: int, upto: int | None) -> tuple[str, InlineKeyboardMarkup | None]:
    trail = await audit_trail(session, reader, client_id, page=page, upto=upto)
    if isinstance(trail, AuditRefusal):
        return render("admin/audit_unavailable.html.j2", reason=trail.value), None
    return render("admin/audit.html.j2", trail=trail, rules=rules, zone=settings.firm.timezone), _keyboard(trail)


async def audit_command(message: Message, command: CommandObject, session: AsyncSession, reader: Reader,
                        rules: TierRules, settings: Settings) -> None:
    client_id = command.args.strip() if command.args else ""
    if client_id:
        text, keyboard = await _render(session, reader, rules, settings, client_id, 0, None)
    else:
        text = render("admin/audit_unavailable.html.j2", reason="usage", example=await example_client(session, reader))
        keyboard = None
    assert message.bot is not None
    await send(message.bot, message.chat.id, text, keyboard)


async def audit_page(callback: CallbackQuery, callback_data: AuditCb, session: AsyncSession, reader: Reader,
                     rules: TierRules, settings: Settings) -> None:
    text, keyboard = await _render(session, reader, rules, settings, callback_data.client_id, callback_data.page,
                                   callback_data.upto)
    await show(callback, text, keyboard)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(audit_command, Command("audit"))
    router.callback_query.register(audit_page, AuditCb.filter())
    return router

"""My tier: the tier card, and in its place on a button press: how to move up, recommendations, the dimensions.

Staff open a client's card with `/tier ID` or from the client's summary: the same views, with the segments' analytic
names and the scores, and a button to the summary.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, Refusal, example_client
from bot.faq import Faq
from bot.i18n import current_locale, render
from bot.standing import CardView, TierCard, client_details, open_card
from bot.telegram import send, show
from handlers.callbacks import SummaryCb, TierCb, TierView
from handlers.menu import MenuButton
from tiering import Dimension, Rejection, TierRules

MY_TIER = "my_tier"  # the FAQ entry that free text such as "what tier am I" matches


@cache
def _labels(locale: str) -> dict[TierView, str]:
    """The buttons' labels in `locale`, which must be the current one: they are the same for every card."""
    return {view: render("tier/button.html.j2", view=view.value) for view in TierView}


@cache
def _summary_label(locale: str) -> str:
    return render("workspace/button.html.j2", which="summary", value="")


def _keyboard(view: CardView, shown: TierView, locale: str) -> InlineKeyboardMarkup:
    client_id = view.allowed.client_id
    rows = [
        [InlineKeyboardButton(text=label, callback_data=TierCb(view=target, client_id=client_id).pack())]
        for target, label in _labels(locale).items()
        if target is not shown and (target is not TierView.GAP or view.card.gap is not None)
    ]
    if not view.allowed.own:  # staff reach the card from a summary: the way back to it
        rows.append([InlineKeyboardButton(text=_summary_label(locale),
                                          callback_data=SummaryCb(client_id=client_id).pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@lru_cache(maxsize=20_000)
def _stored_view(view: TierView, locale: str, card: TierCard, rules: TierRules, own: bool) -> str:
    """The card and the gap depend on nothing else: rendered once per client, language and stored state."""
    return render(f"tier/{view.name.lower()}.html.j2", card=card, rules=rules, own=own)


async def _refused(session: AsyncSession, reason: Refusal, reader: Reader) -> tuple[str, None]:
    example = await example_client(session, reader) if reason is Refusal.NOT_ALLOWED and reader.adviser_id else None
    return render("tier/unavailable.html.j2", reason=reason, role=reader.role, example=example), None


async def _render(session: AsyncSession, reader: Reader, rules: TierRules, client_id: str | None, shown: TierView,
                  ) -> tuple[str, InlineKeyboardMarkup | None]:
    view = await open_card(session, reader, rules, client_id)
    if isinstance(view, Refusal):
        return await _refused(session, view, reader)
    if shown is TierView.GAP and view.card.gap is None:  # at the top tier (a stale or forged button)
        shown = TierView.CARD
    if shown in (TierView.CARD, TierView.GAP):
        text = _stored_view(shown, current_locale(), view.card, rules, view.allowed.own)
    else:
        standing = await client_details(session, view.allowed, rules)
        if standing is None:
            return await _refused(session, Refusal.NOT_SCORED, reader)
        if isinstance(standing.assessment, Rejection):
            return await _refused(session, Refusal.NOT_ASSESSED, reader)
        template = "tier/dimensions.html.j2" if shown is TierView.DIMENSIONS else "tier/recommendations.html.j2"
        text = render(template, card=view.card, standing=standing, a=standing.assessment, rules=rules,
                      own=view.allowed.own, Dimension=Dimension)
    return text, _keyboard(view, shown, current_locale())


async def send_tier_card(message: Message, session: AsyncSession, reader: Reader, rules: TierRules,
                         client_id: str | None = None) -> None:
    """The card of `client_id`, or of the reader when a client."""
    text, keyboard = await _render(session, reader, rules, client_id or reader.client_id, TierView.CARD)
    assert message.bot is not None
    await send(message.bot, message.chat.id, text, keyboard)


async def tier_command(message: Message, command: CommandObject, session: AsyncSession, reader: Reader,
                       rules: TierRules) -> None:
    await send_tier_card(message, session, reader, rules, command.args.strip() if command.args else None)


async def tier_button(message: Message, session: AsyncSession, reader: Reader, rules: TierRules) -> None:
    await send_tier_card(message, session, reader, rules)


async def tier_view(callback: CallbackQuery, callback_data: TierCb, session: AsyncSession, reader: Reader,
                    rules: TierRules) -> None:
    if callback_data.view in (TierView.CARD, TierView.GAP):  # one stored row: no wait to show
        text, keyboard = await _render(session, reader, rules, callback_data.client_id, callback_data.view)
    else:  # the client's facts are read and assessed first: "typing…" while that runs
        assert callback.bot is not None
        async with ChatActionSender.typing(chat_id=callback.from_user.id, bot=callback.bot, initial_sleep=0):
            text, keyboard = await _render(session, reader, rules, callback_data.client_id, callback_data.view)
    await show(callback, text, keyboard)


class AsksForOwnTier(Filter):
    """Free text from a client that the FAQ matches to "what tier am I": they get their card, not the FAQ answer."""

    async def __call__(self, message: Message, reader: Reader, faq: Faq, **_data: Any) -> bool:
        return (message.text is not None and not message.text.startswith("/")
                and reader.client_id is not None and faq.match(message.text).entry_id == MY_TIER)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(tier_command, Command("tier"))
    router.message.register(tier_button, MenuButton("tier"))
    router.message.register(tier_button, F.text, AsksForOwnTier())
    router.callback_query.register(tier_view, TierCb.filter())
    return router

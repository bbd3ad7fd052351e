"""A client answering a survey in the chat: a rating pressed under a question, then, when the question asks "why?",
the next text message as the comment (kept in the conversation's state, in Redis when configured), or the Skip
button; then the next question, and at the end the thanks.

Every press is checked by `bot.campaigns.answers` (the presser the campaign's recipient, the survey open, the
question and rating real, the question not answered yet); a refusal is the button's alert and changes nothing. What
is confirmed is confirmed once committed.

While a "why?" waits, a /command, a menu button or a refusal word leaves it empty and is then handled as ever; so
is any text after `COMMENT_WAIT`, which is no answer to a question asked that long ago.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import AllowedClient, Reader, Refusal, grant_access
from bot.campaigns.answers import AnswerRefusal, SurveyStep, record_comment, record_rating, skip_comment
from bot.campaigns.consent import is_refusal
from bot.config import Settings
from bot.db import UnitOfWork
from bot.i18n import render
from bot.telegram import send, show
from handlers.callbacks import SurveyCb, SurveySkipCb
from handlers.campaigns.views import step_view
from handlers.menu import MENU_KEYS, MenuButton

__all__ = ["COMMENT_WAIT", "SurveyComment", "router"]

# How long a "why?" waits for its answer: text sent later is taken as what it says, not as a comment.
COMMENT_WAIT: Final = timedelta(hours=1)
_WAITING: Final = "survey_comment"  # the state's data: {"campaign": 7, "question": 0, "asked_at": ISO time}


class SurveyComment(StatesGroup):
    waiting = State()


async def _allowed(session: AsyncSession, reader: Reader) -> AllowedClient | AnswerRefusal:
    allowed = await grant_access(session, reader, None)
    return AnswerRefusal.FORGED if isinstance(allowed, Refusal) else allowed


def _refuse(callback_answer: CallbackAnswer, refusal: AnswerRefusal) -> None:
    callback_answer.text = render("campaigns/refused.html.j2", reason=refusal.value)
    callback_answer.show_alert = True


async def _waiting(state: FSMContext) -> dict[str, Any] | None:
    waiting = (await state.get_data()).get(_WAITING)
    return waiting if isinstance(waiting, dict) else None


async def _stop_waiting(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({_WAITING: None})


async def rate(callback: CallbackQuery, callback_data: SurveyCb, session: AsyncSession, reader: Reader,
               state: FSMContext, unit_of_work: UnitOfWork, callback_answer: CallbackAnswer, settings: Settings
               ) -> None:
    now = datetime.now(UTC)
    allowed = await _allowed(session, reader)
    step = allowed if isinstance(allowed, AnswerRefusal) else await record_rating(
        session, allowed, callback_data.campaign, callback_data.question, callback_data.rating, settings=settings,
        now=now)
    if isinstance(step, AnswerRefusal):
        _refuse(callback_answer, step)
        return
    # Set here, not once committed: a quick comment may arrive before that (`record_comment` checks it again).
    # Any "why?" still waiting, of this survey or another, is replaced: the client has moved on.
    if step.ask_comment:
        await state.set_state(SurveyComment.waiting)
        await state.update_data({_WAITING: {"campaign": step.campaign_id, "question": step.answered,
                                            "asked_at": now.isoformat()}})
    else:
        await _stop_waiting(state)
    text, keyboard = step_view(step)

    async def confirm() -> None:
        await show(callback, text, keyboard)

    unit_of_work.after_commit(confirm)


async def skip(callback: CallbackQuery, callback_data: SurveySkipCb, session: AsyncSession, reader: Reader,
               state: FSMContext, unit_of_work: UnitOfWork, callback_answer: CallbackAnswer, settings: Settings
               ) -> None:
    allowed = await _allowed(session, reader)
    step = allowed if isinstance(allowed, AnswerRefusal) else await skip_comment(
        session, allowed, callback_data.campaign, callback_data.question, settings=settings, now=datetime.now(UTC))
    if isinstance(step, AnswerRefusal):
        _refuse(callback_answer, step)
        return
    waiting = await _waiting(state)
    if waiting is not None and (waiting.get("campaign"), waiting.get("question")) == (
            callback_data.campaign, callback_data.question):
        await _stop_waiting(state)
    await show(callback, *step_view(step))


class WaitingComment(Filter):
    """A text message while a "why?" waits, passed to the handler as `waiting` (the state's data), and whether it
    leaves the comment empty (`leaves`: a /command, a menu button, a refusal word, or text long after the
    question)."""

    def __init__(self) -> None:
        self._menu = tuple(MenuButton(key) for key in MENU_KEYS)

    async def __call__(self, message: Message, state: FSMContext, i18n: I18n, **_data: Any) -> bool | dict[str, Any]:
        waiting = await _waiting(state)
        if message.text is None or waiting is None:
            return False
        asked_at = waiting.get("asked_at")
        stale = not isinstance(asked_at, str) or datetime.fromisoformat(asked_at) + COMMENT_WAIT < datetime.now(UTC)
        leaves = stale or message.text.startswith("/") or is_refusal(message.text)
        for button in self._menu:
            leaves = leaves or await button(message, i18n)
        return {"waiting": waiting, "leaves": leaves}


def _ids(waiting: dict[str, Any]) -> tuple[int, int] | None:
    campaign, question = waiting.get("campaign"), waiting.get("question")
    return (campaign, question) if isinstance(campaign, int) and isinstance(question, int) else None


def _send_after_commit(unit_of_work: UnitOfWork, bot: Bot, chat_id: int, view: tuple[str, Any]) -> None:
    text, keyboard = view

    async def deliver() -> None:
        await send(bot, chat_id, text, keyboard)

    unit_of_work.after_commit(deliver)


async def comment(message: Message, waiting: dict[str, Any], leaves: bool, session: AsyncSession, reader: Reader,
                  state: FSMContext, unit_of_work: UnitOfWork, settings: Settings) -> None:
    assert message.bot is not None
    assert message.text is not None
    await _stop_waiting(state)
    ids, allowed = _ids(waiting), await _allowed(session, reader)
    if leaves or ids is None or isinstance(allowed, AnswerRefusal):
        # Left empty, as a skip (a low rating's alert goes now), and the survey goes on after what the message asks
        # is answered.
        step = None if ids is None or isinstance(allowed, AnswerRefusal) else await skip_comment(
            session, allowed, *ids, settings=settings, now=datetime.now(UTC))
        if isinstance(step, SurveyStep):
            _send_after_commit(unit_of_work, message.bot, message.chat.id, step_view(step))
        raise SkipHandler  # what the message says is handled as it would be without a survey
    step = await record_comment(session, allowed, *ids, message.text, settings=settings, now=datetime.now(UTC))
    if isinstance(step, AnswerRefusal):
        await send(message.bot, message.chat.id, render("campaigns/refused.html.j2", reason=step.value))
        return
    _send_after_commit(unit_of_work, message.bot, message.chat.id, step_view(step, commented=True))


def router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(rate, SurveyCb.filter())
    router.callback_query.register(skip, SurveySkipCb.filter())
    router.message.register(comment, StateFilter(SurveyComment.waiting), F.text, WaitingComment())
    return router

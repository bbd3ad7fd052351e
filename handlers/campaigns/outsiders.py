"""The clients' campaign commands, words and buttons reached by someone else: staff are told these are for
clients, a reader linked to nobody gets the "not linked" answer of every client view. Nothing is written."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, or_f
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.accounts import Reader, Refusal
from bot.i18n import render
from bot.telegram import send
from handlers.callbacks import ConsentCb, SurveyCb, SurveySkipCb
from handlers.campaigns.consent import IsRefusalWord

__all__ = ["router"]


def _text(reader: Reader, what: str) -> str:
    if reader.bound:
        return render("campaigns/clients_only.html.j2", what=what)
    return render("tier/unavailable.html.j2", reason=Refusal.NOT_LINKED, role=None)


async def consent_command(message: Message, reader: Reader) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, _text(reader, "consent"))


async def consent_button(callback: CallbackQuery, reader: Reader, callback_answer: CallbackAnswer) -> None:
    callback_answer.text, callback_answer.show_alert = _text(reader, "consent"), True


async def survey_button(callback: CallbackQuery, reader: Reader, callback_answer: CallbackAnswer) -> None:
    callback_answer.text, callback_answer.show_alert = _text(reader, "survey"), True


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(consent_command, Command("unsubscribe", "stop", "subscribe"))
    router.message.register(consent_command, F.text, IsRefusalWord())
    router.callback_query.register(consent_button, ConsentCb.filter())
    router.callback_query.register(survey_button, or_f(SurveyCb.filter(), SurveySkipCb.filter()))
    return router

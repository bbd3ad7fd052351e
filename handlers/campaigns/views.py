"""How a survey's questions and a consent confirmation look in the chat: texts from templates/campaigns/, buttons
with typed callback data. Shared by the outbox's renderers and the handlers of the answers."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.campaigns.answers import SurveyStep
from bot.campaigns.content import Survey
from bot.campaigns.messages import rating_rows
from bot.i18n import render
from handlers.callbacks import ConsentAction, ConsentCb, SurveyCb, SurveySkipCb

__all__ = ["consent_keyboard", "question_view", "refusal_keyboard", "step_view"]


def _ratings(campaign_id: int, survey: Survey, index: int) -> InlineKeyboardMarkup:
    question = survey.questions[index]
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=str(rating),
                              callback_data=SurveyCb(campaign=campaign_id, question=index, rating=rating).pack())
         for rating in row]
        for row in rating_rows(question.scale)])


def question_view(campaign_id: int, survey: Survey, index: int, *, intro: bool) -> tuple[str, InlineKeyboardMarkup]:
    """Question `index` of the survey with its rating buttons; with `intro`, as the survey's first message."""
    return (render("campaigns/question.html.j2", survey=survey, index=index, intro=intro),
            _ratings(campaign_id, survey, index))


def step_view(step: SurveyStep, *, commented: bool = False) -> tuple[str, InlineKeyboardMarkup | None]:
    """After an answer: the "why?" with its Skip button, the next question with its buttons, or the thanks."""
    text = render("campaigns/step.html.j2", step=step, commented=commented)
    if step.ask_comment and step.answered is not None:
        skip = SurveySkipCb(campaign=step.campaign_id, question=step.answered).pack()
        return text, InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=render("campaigns/button.html.j2", which="skip"), callback_data=skip)]])
    if step.next_question is not None:
        return text, _ratings(step.campaign_id, step.survey, step.next_question)
    return text, None


def _consent_button(action: ConsentAction) -> InlineKeyboardMarkup:
    which = "unsubscribe" if action is ConsentAction.OFF else "subscribe"
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=render("campaigns/button.html.j2", which=which), callback_data=ConsentCb(action=action).pack())]])


def refusal_keyboard() -> InlineKeyboardMarkup:
    """The button under every marketing message that refuses further ones."""
    return _consent_button(ConsentAction.OFF)


def consent_keyboard(granted: bool) -> InlineKeyboardMarkup:
    """Under a confirmation: the button that undoes it."""
    return _consent_button(ConsentAction.OFF if granted else ConsentAction.ON)

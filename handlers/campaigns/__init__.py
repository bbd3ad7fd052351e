"""Campaigns in the chat: the messages the outbox's sender pushes (a survey, a strategy message, a client's low
rating for their adviser), a client's answers to a survey, and a client's yes or no to marketing. `router()` serves
clients and answers everyone else's use of the same commands and buttons; `renderers()` names what renders each kind
of campaign message; `campaign_samples` renders a campaign's message as it would be sent, for an operator's
preview."""

from __future__ import annotations

from aiogram import Router

from bot.accounts import Role
from bot.campaigns import FEEDBACK_KIND, STRATEGY_KIND, SURVEY_KIND
from bot.delivery.sender import Renderer
from bot.telegram import RoleFilter
from handlers.campaigns import consent, outsiders, survey
from handlers.campaigns.renderers import (
    CampaignSample,
    campaign_samples,
    render_feedback,
    render_sample,
    render_strategy,
    render_survey,
)

__all__ = ["CampaignSample", "campaign_samples", "render_sample", "renderers", "router"]


def router() -> Router:
    clients = Router(name=f"{__name__}.clients")
    clients.message.filter(RoleFilter(Role.CLIENT))
    clients.callback_query.filter(RoleFilter(Role.CLIENT))
    # The survey first: while a "why?" waits, a command or a refusal word leaves it, then goes on to its handler.
    clients.include_routers(survey.router(), consent.router())
    others = outsiders.router()
    others.message.filter(RoleFilter(Role.ADVISER, Role.ADMIN, None))
    others.callback_query.filter(RoleFilter(Role.ADVISER, Role.ADMIN, None))
    router = Router(name=__name__)
    router.include_routers(clients, others)
    return router


def renderers() -> dict[str, Renderer]:
    return {SURVEY_KIND: render_survey, STRATEGY_KIND: render_strategy, FEEDBACK_KIND: render_feedback}

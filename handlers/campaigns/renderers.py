"""The campaigns' messages as the outbox's sender renders them, in the recipient's language at send time: a survey
(its introduction and first question, with rating buttons), a strategy message (its body, then always the way to
refuse further ones), and a client's low rating for their adviser. What may be sent is decided by
`bot.campaigns.messages` and `bot.campaigns.answers`; these only lay it out.

`render_sample` is the same message for an operator's preview, without the send-time checks; `campaign_samples` one
per locale of a preview's audience. Neither sends nor writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, load_reader
from bot.campaigns import STRATEGY_KIND, SURVEY_KIND
from bot.campaigns.answers import load_feedback
from bot.campaigns.messages import (
    NotYet,
    StrategyPush,
    SurveyPush,
    strategy_sample,
    strategy_to_send,
    survey_sample,
    survey_to_send,
)
from bot.campaigns.service import Preview
from bot.config import get_settings
from bot.delivery.outbox import Queued
from bot.delivery.sender import Postponed, Rendered
from bot.i18n import current_locale, render, render_string, use_locale
from handlers.callbacks import SummaryCb
from handlers.campaigns.views import question_view, refusal_keyboard
from handlers.digest import rules_in_force

__all__ = ["CampaignSample", "campaign_samples", "render_feedback", "render_sample", "render_strategy", "render_survey"]


def _survey(push: SurveyPush) -> Rendered:
    return Rendered(*question_view(push.campaign_id, push.survey, 0, intro=True))


def _strategy(push: StrategyPush) -> Rendered:
    body = render_string(push.message.bodies[current_locale()], **push.variables())
    return Rendered(render("campaigns/strategy.html.j2", body=Markup(body)), refusal_keyboard())


async def render_survey(session: AsyncSession, queued: Queued, reader: Reader) -> Rendered | Postponed | None:
    push = await survey_to_send(session, queued.payload, reader, settings=get_settings(), now=datetime.now(UTC))
    if isinstance(push, NotYet):
        return Postponed(push.until)
    return None if push is None else _survey(push)


async def render_strategy(session: AsyncSession, queued: Queued, reader: Reader) -> Rendered | Postponed | None:
    push = await strategy_to_send(session, queued.payload, reader, settings=get_settings(), rules=rules_in_force(),
                                  locale=current_locale(), now=datetime.now(UTC))
    if isinstance(push, NotYet):
        return Postponed(push.until)
    return None if push is None else _strategy(push)


async def render_feedback(session: AsyncSession, queued: Queued, reader: Reader) -> Rendered | None:
    alert_id = queued.payload.get("alert_id")
    feedback = await load_feedback(session, reader, alert_id) if isinstance(alert_id, int) else None
    if feedback is None:
        return None
    summary = InlineKeyboardButton(text=render("workspace/button.html.j2", which="summary", value=""),
                                   callback_data=SummaryCb(client_id=feedback.client_id).pack())
    return Rendered(render("campaigns/feedback_alert.html.j2", feedback=feedback),
                    InlineKeyboardMarkup(inline_keyboard=[[summary]]))


@dataclass(frozen=True, slots=True)
class CampaignSample:
    """The message the client `client_id` (Telegram account `telegram_user_id`) would read, in `locale`."""

    client_id: str
    telegram_user_id: int
    locale: str
    rendered: Rendered


async def render_sample(session: AsyncSession, campaign_id: int, kind: str, template: str, reader: Reader
                        ) -> Rendered:
    """Campaign `campaign_id`'s message (`kind` "survey" or "strategy", of `template`) as `reader`, a client of its
    audience, would read it in the locale in force, without the send-time checks. Raises
    `bot.campaigns.content.ContentError` when the template cannot be used."""
    if kind == SURVEY_KIND:
        return _survey(survey_sample(campaign_id, template))
    assert kind == STRATEGY_KIND, kind
    return _strategy(await strategy_sample(session, campaign_id, template, reader, locale=current_locale()))


async def campaign_samples(session: AsyncSession, preview: Preview) -> list[CampaignSample]:
    """The preview's sample recipients' messages, one per locale, in the order of the preview, each in its
    recipient's locale. Raises `bot.campaigns.content.ContentError` when the template cannot be used."""
    campaign = preview.campaign
    samples = []
    for recipient in preview.samples:
        reader = await load_reader(session, recipient.telegram_user_id)
        with use_locale(recipient.locale):
            rendered = await render_sample(session, campaign.id, str(campaign.kind), campaign.template, reader)
        samples.append(CampaignSample(recipient.client_id, recipient.telegram_user_id, recipient.locale, rendered))
    return samples

"""A campaign's message as its recipients would read it, for the operator's preview (`tierbot campaign preview`):
one sample per locale, rendered by the renderer the chat's handlers provide, in the sample recipient's locale,
without the checks of send time and without sending or writing anything."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

import handlers
from bot.accounts import load_reader
from bot.campaigns.service import Preview
from bot.delivery.sender import Rendered
from bot.i18n import use_locale

__all__ = ["CampaignSample", "campaign_samples"]


@dataclass(frozen=True, slots=True)
class CampaignSample:
    """The message the client `client_id` (Telegram account `telegram_user_id`) would read, in `locale`."""

    client_id: str
    telegram_user_id: int
    locale: str
    rendered: Rendered


async def campaign_samples(session: AsyncSession, preview: Preview) -> list[CampaignSample]:
    """The preview's sample recipients' messages, one per locale, in the order of the preview."""
    campaign = preview.campaign
    samples = []
    for recipient in preview.samples:
        reader = await load_reader(session, recipient.telegram_user_id)
        with use_locale(recipient.locale):
            rendered = await handlers.campaign_sample(  # the chat's, once merged
                session, campaign.id, str(campaign.kind), campaign.template, reader)
        samples.append(CampaignSample(recipient.client_id, recipient.telegram_user_id, recipient.locale, rendered))
    return samples

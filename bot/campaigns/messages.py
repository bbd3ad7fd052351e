"""What a pushed campaign message says, decided when the sender is about to send it (and for an operator's preview,
without the send-time checks).

A campaign's outbox row was queued when the campaign started; by the time it is sent much may have changed, so each
row is judged again then, from what is true then:

- the campaign paused since the row was claimed: not yet (a few seconds, then the sender's claim skips it while it
  stays paused); closed, or a survey past its answer window: nothing to say;
- the Telegram account no longer the client's: nothing to say;
- a survey to a client whose complaint is now open: nothing to say;
- a strategy message to a client who has since refused marketing, or who no longer passes the suitability guard
  (a product it names above their risk level, no valid risk assessment): nothing to say;
- now within quiet hours on the client's clock (their time zone, else the firm's): not before they end.

Imports nothing of aiogram: the renderers in `handlers.campaigns` turn these decisions into Telegram messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import AdviserContact, Reader, Refusal, adviser_contact, grant_access
from bot.alerts import DigestSchedule
from bot.campaigns.consent import has_consent
from bot.campaigns.content import (
    ShelfItem,
    StrategyMessage,
    Survey,
    load_strategy,
    load_survey,
    needs_valid_assessment,
)
from bot.campaigns.service import survey_open
from bot.config import Settings, firm_day
from bot.db.models import Campaign, CampaignKind, CampaignStatus, Client, Product, Role, SurveyScale
from bot.i18n.vocabulary import product_name
from tiering import TierRules, risk_assessment_status

__all__ = ["PAUSED_RETRY", "NotYet", "StrategyPush", "SurveyPush", "rating_rows", "strategy_sample",
           "strategy_to_send", "survey_sample", "survey_to_send", "unsuitable"]

# How soon a row whose campaign was paused after it was claimed is looked at again: the claim skips it while the
# campaign stays paused, and a resume sends it from then.
PAUSED_RETRY: Final = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class NotYet:
    """Not now: the row is due again from `until` (timezone-aware)."""

    until: datetime


@dataclass(frozen=True, slots=True)
class SurveyPush:
    """A survey to send: its introduction and its first question, whose buttons carry `campaign_id`."""

    campaign_id: int
    survey: Survey


@dataclass(frozen=True, slots=True)
class StrategyPush:
    """A strategy message to send: its body's variables (`content.STRATEGY_VARIABLES`) as the client reads them."""

    campaign_id: int
    message: StrategyMessage
    client_name: str
    adviser: AdviserContact | None
    products: tuple[ShelfItem, ...]

    def variables(self) -> dict[str, Any]:
        return {"client_name": self.client_name, "adviser": self.adviser, "products": list(self.products)}


def rating_rows(scale: SurveyScale) -> list[list[int]]:
    """The ratings of a scale as rows of buttons: NPS's eleven in two rows (0-5, 6-10), the others in one."""
    low, high = scale.bounds
    ratings = list(range(low, high + 1))
    return [ratings[:6], ratings[6:]] if scale is SurveyScale.NPS else [ratings]


def unsuitable(message: StrategyMessage, *, risk_level: int | None, assessed_on: date | None,
               products: Mapping[str, int], today: date, valid_months: int) -> str | None:
    """Why `message` may not go to a client assessed at `risk_level` (C1-C5 as 1-5) on `assessed_on`, judged on
    `today`; None when it may. `products` gives the risk level (R1-R5 as 1-5) of the shelf's products by id.

    The engine's suitability guard: a message that needs a valid risk assessment (`content.needs_valid_assessment`,
    the audience's rule too) is refused without one ("missing", "expired"), and every product it names must be at
    or below the client's risk level ("above_risk_level"); a product the shelf no longer has cannot be vouched for
    ("unknown_product")."""
    if not needs_valid_assessment(message):
        return None
    status = risk_assessment_status(risk_level, assessed_on, today, valid_months)
    if status is not None:
        return status
    assert risk_level is not None
    for product_id in message.products:
        if product_id not in products:
            return "unknown_product"
        if products[product_id] > risk_level:
            return "above_risk_level"
    return None


async def _shelf(session: AsyncSession, product_ids: Sequence[str], locale: str) -> dict[str, ShelfItem]:
    """The shelf's products among `product_ids`, named in `locale`'s language."""
    if not product_ids:
        return {}
    rows = await session.execute(
        select(Product.product_id, Product.name_en, Product.name_zh, Product.name_zh_hant, Product.category,
               Product.risk_level, Product.min_investment).where(Product.product_id.in_(product_ids)))
    return {row.product_id: ShelfItem(row.product_id, product_name(row.name_en, row.name_zh, row.name_zh_hant, locale),
                                      str(row.category),
                                      row.risk_level, row.min_investment) for row in rows}


def _quiet_until(settings: Settings, now: datetime, timezone: str | None) -> NotYet | None:
    """Not before quiet hours end on the client's clock (their zone, else the firm's), when they are on now."""
    due = DigestSchedule.from_settings(settings).not_before(now, timezone)
    return NotYet(due) if due > now else None


@dataclass(frozen=True, slots=True)
class _Recipient:
    campaign: Campaign
    client: Client


async def _judge(session: AsyncSession, kind: CampaignKind, payload: Mapping[str, Any], reader: Reader,
                 now: datetime) -> _Recipient | NotYet | None:
    """The checks every campaign row passes at send time: its campaign running, and the account still its
    client's. The client is read through the access check."""
    campaign_id, client_id = payload.get("campaign_id"), payload.get("client_id")
    if not isinstance(campaign_id, int) or not isinstance(client_id, str):
        return None
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.kind is not kind:
        return None
    if campaign.status is CampaignStatus.PAUSED:
        return NotYet(now + PAUSED_RETRY)
    if campaign.status is not CampaignStatus.RUNNING:
        return None
    if campaign.not_before is not None and campaign.not_before > now:
        return NotYet(campaign.not_before)
    if reader.role is not Role.CLIENT or reader.client_id != client_id:
        return None
    allowed = await grant_access(session, reader, None)
    if isinstance(allowed, Refusal):
        return None
    client = await session.get(Client, allowed.client_id)
    return None if client is None else _Recipient(campaign, client)


async def survey_to_send(session: AsyncSession, payload: Mapping[str, Any], reader: Reader, *, settings: Settings,
                         now: datetime) -> SurveyPush | NotYet | None:
    """The survey a row of kind "survey" carries to `reader`, as it stands at `now`; NotYet or None (see the
    module's checks)."""
    judged = await _judge(session, CampaignKind.SURVEY, payload, reader, now)
    if not isinstance(judged, _Recipient):
        return judged
    campaign, client = judged.campaign, judged.client
    if not survey_open(campaign.started_at, campaign.not_before, campaign.closed_at, settings, now):
        return None  # its answers would be refused
    if client.complaint_open:
        return None
    if (quiet := _quiet_until(settings, now, client.timezone)) is not None:
        return quiet
    return SurveyPush(campaign.id, load_survey(campaign.template))


async def strategy_to_send(session: AsyncSession, payload: Mapping[str, Any], reader: Reader, *, settings: Settings,
                           rules: TierRules, locale: str, now: datetime) -> StrategyPush | NotYet | None:
    """The strategy message a row of kind "strategy" carries to `reader`, in `locale`, as it stands at `now`;
    NotYet or None (see the module's checks)."""
    judged = await _judge(session, CampaignKind.STRATEGY, payload, reader, now)
    if not isinstance(judged, _Recipient):
        return judged
    campaign, client = judged.campaign, judged.client
    if not await has_consent(session, client.client_id):
        return None
    message = load_strategy(campaign.template)
    shelf = await _shelf(session, message.products, locale)
    why_not = unsuitable(message, risk_level=client.risk_level, assessed_on=client.risk_assessed_on,
                         products={product_id: item.risk_level for product_id, item in shelf.items()},
                         today=firm_day(now), valid_months=rules.suitability.assessment_valid_months)
    if why_not is not None:
        return None
    if (quiet := _quiet_until(settings, now, client.timezone)) is not None:
        return quiet
    return StrategyPush(campaign.id, message, client.name, await adviser_contact(session, reader),
                        tuple(shelf[product_id] for product_id in message.products))


def survey_sample(campaign_id: int, template: str) -> SurveyPush:
    """Survey `template` as campaign `campaign_id` would send it, for an operator's preview."""
    return SurveyPush(campaign_id, load_survey(template))


async def strategy_sample(session: AsyncSession, campaign_id: int, template: str, reader: Reader, *, locale: str
                          ) -> StrategyPush:
    """Strategy message `template` as campaign `campaign_id` would send it to `reader` (a client of its audience),
    in `locale`, without the send-time checks: for an operator's preview."""
    message = load_strategy(template)
    name = await session.scalar(select(Client.name).where(Client.client_id == reader.client_id)) \
        if reader.client_id is not None else None
    shelf = await _shelf(session, message.products, locale)
    return StrategyPush(campaign_id, message, name or reader.client_id or "", await adviser_contact(session, reader),
                        tuple(shelf[product_id] for product_id in message.products if product_id in shelf))

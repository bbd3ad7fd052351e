"""The bot's handlers, grouped by who is served; each group is a parent router carrying its role filter.

`routers()` makes them afresh for each dispatcher (a router belongs to one parent only), in the order
`bot.runtime` includes them: the groups for bound readers first (staff before clients, so that an adviser who has
left is refused a client's card as well), then the refusals of staff and admin commands to everyone else, then
campaigns (a survey's answers and comments, consent to marketing) before the client's views and what anyone is
served, whose free text and fallback take whatever is left. `renderers()` names what renders each kind of message
the outbox's sender sends; `campaign_sample` renders a campaign's message for an operator's preview,
`campaign_samples` one per locale of its audience.
"""

from __future__ import annotations

from aiogram import Router

from bot.alerts import DIGEST_KIND
from bot.delivery.sender import Renderer
from handlers import admin, adviser, campaigns, client, common
from handlers.campaigns import CampaignSample, campaign_samples
from handlers.campaigns import render_sample as campaign_sample
from handlers.digest import render_digest
from handlers.menu import COMMAND_MENUS, command_menu

__all__ = ["COMMAND_MENUS", "CampaignSample", "campaign_sample", "campaign_samples", "command_menu", "renderers",
           "routers"]


def routers() -> list[Router]:
    return [adviser.router(), admin.router(), adviser.outsiders_router(), admin.refusals.router(), campaigns.router(),
            client.router(), common.router()]


def renderers() -> dict[str, Renderer]:
    """What renders each kind of message of the outbox, by kind, for the sender that `bot.runtime` builds."""
    return {DIGEST_KIND: render_digest, **campaigns.renderers()}

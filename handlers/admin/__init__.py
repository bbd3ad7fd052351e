"""What admins are served: the firm at a glance (/stats), a client's audit trail (/audit CLIENT) and the campaigns
(/campaigns).

`router()` is the group's parent router, whose filter admits admins only, on messages and button presses alike;
`refusals.router()` answers the same commands from anyone else, after the groups for bound readers.
"""

from __future__ import annotations

from aiogram import Router

from bot.accounts import Role
from bot.telegram import RoleFilter
from handlers.admin import audit, campaigns, refusals, stats

__all__ = ["refusals", "router"]


def router() -> Router:
    router = Router(name=__name__)
    admin = RoleFilter(Role.ADMIN)
    router.message.filter(admin)
    router.callback_query.filter(admin)
    router.include_routers(stats.router(), audit.router(), campaigns.router())
    return router

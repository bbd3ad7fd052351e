"""What clients are served: their tier and its views. Staff (advisers and admins) open the same views for a client
they may see, in the analytic terms of staff; readers bound to nobody are refused by `handlers.common.unlinked`."""

from __future__ import annotations

from aiogram import Router

from bot.accounts import Role
from bot.telegram import RoleFilter
from handlers.client import tier


def router() -> Router:
    router = Router(name=__name__)
    linked = RoleFilter(Role.CLIENT, Role.ADVISER, Role.ADMIN)
    router.message.filter(linked)
    router.callback_query.filter(linked)
    router.include_router(tier.router())
    return router

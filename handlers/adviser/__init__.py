"""What advisers and admins are served: their book of clients (/clients), the search and a client's summary
(/client), refused whole to an adviser who has left the firm. `outsiders()` tells clients and readers linked to
nobody that these are for advisers."""

from __future__ import annotations

from aiogram import Router

from bot.accounts import Role
from bot.telegram import RoleFilter
from handlers.adviser import book, departed, outsiders, summary


def router() -> Router:
    router = Router(name=__name__)
    staff = RoleFilter(Role.ADVISER, Role.ADMIN)
    router.message.filter(staff)
    router.callback_query.filter(staff)
    router.include_routers(departed.router(), book.router(), summary.router())
    return router


def outsiders_router() -> Router:
    return outsiders.router()

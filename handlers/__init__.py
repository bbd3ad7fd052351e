"""The bot's handlers, grouped by who is served; each group is a parent router carrying its role filter.

`routers()` makes them afresh for each dispatcher (a router belongs to one parent only), in the order
`bot.runtime` includes them: the groups for bound readers first, then the answer to admin commands from anyone else,
then what anyone is served, whose fallback takes whatever is left.
"""

from __future__ import annotations

from aiogram import Router

from handlers import admin, client, common


def routers() -> list[Router]:
    return [client.router(), admin.router(), admin.refusals.router(), common.router()]

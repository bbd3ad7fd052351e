"""Filters on who the reader is, for the parent router of each group of handlers."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.accounts import Reader, Role

__all__ = ["RoleFilter"]


class RoleFilter(Filter):
    """The reader is bound in one of `roles`; `None` among them stands for a reader bound to nobody."""

    def __init__(self, *roles: Role | None) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, reader: Reader) -> bool:
        return reader.role in self.roles

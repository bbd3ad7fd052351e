"""The bot's routers, one per feature, made afresh for each dispatcher (a router belongs to one parent only).

bot/app.py includes them in this order: the fallback must come last.
"""

from __future__ import annotations

from aiogram import Router

from handlers.client import tier
from handlers.common import errors, fallback, faq, help, language, start


def routers() -> list[Router]:
    return [module.router() for module in (errors, start, language, help, tier, faq, fallback)]

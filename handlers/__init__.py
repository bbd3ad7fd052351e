"""The bot's routers, one per feature. bot/app.py includes them in this order: the fallback must come last."""

from __future__ import annotations

from aiogram import Router

from handlers import errors, fallback, faq, help, language, start, tier


def routers() -> list[Router]:
    return [errors.router, start.router, language.router, help.router, tier.router, faq.router, fallback.router]

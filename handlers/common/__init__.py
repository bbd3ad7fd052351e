"""What anyone is served, bound or not: errors, /start and binding, /language, /help and /settings, small talk, the
FAQ, the refusals for readers not linked yet, blocking and unblocking the bot, and the fallback for whatever no
handler took (it comes last)."""

from __future__ import annotations

from aiogram import Router

from handlers.common import errors, fallback, faq, help, language, membership, small_talk, start, unlinked


def router() -> Router:
    router = Router(name=__name__)
    modules = (errors, start, language, help, small_talk, faq, unlinked, membership, fallback)
    router.include_routers(*(module.router() for module in modules))
    return router

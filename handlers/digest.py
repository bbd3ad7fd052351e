"""The alert digest, as the outbox's sender renders it for an adviser: their clients whose tier moved or whose
churn risk rose since the last digest, with a button opening each one's summary.

Rendered at send time, in the adviser's language then, from what is true then: a client reassigned since the digest
was queued is left out, and an adviser who has left the firm is sent nothing (`bot.alerts.load_digest`).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.alerts import Digest, load_digest
from bot.config import get_settings
from bot.delivery.outbox import Queued
from bot.delivery.sender import Rendered
from bot.i18n import render
from bot.scoring import load_rules
from handlers.callbacks import SummaryCb
from tiering import TierRules

__all__ = ["BUTTONS", "LISTED", "render_digest", "rules_in_force"]

# Buttons under the message, one per client: a keyboard of ten rows is as much as a phone shows at once.
BUTTONS: Final = 10
# Clients listed in each group; past that the group says how many more, so that a digest stays one message.
LISTED: Final = 15


@cache
def rules_in_force() -> TierRules:
    """The tier names and order the chat shows, loaded once per process as the dispatcher loads them."""
    return load_rules(get_settings().firm.rules_file)


def _ids(values: Any) -> list[int]:
    return [value for value in values if isinstance(value, int)] if isinstance(values, list) else []


def _keyboard(digest: Digest) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=f"{name} · {client_id}", callback_data=SummaryCb(client_id=client_id).pack())]
        for client_id, name in digest.clients()[:BUTTONS]
    ])


async def render_digest(session: AsyncSession, queued: Queued, reader: Reader) -> Rendered | None:
    """The digest of the alerts `queued` carries, for `reader` in the locale in force; None when none of its
    clients is the reader's any more."""
    run = queued.payload.get("scoring_run")
    rules = rules_in_force()
    digest = await load_digest(session, reader, _ids(queued.payload.get("alerts")),
                               scoring_run=run if isinstance(run, int) else None, rules=rules)
    if digest is None:
        return None
    text = render("digest/digest.html.j2", digest=digest, rules=rules, listed=LISTED, buttons=BUTTONS,
                  clients=len(digest.clients()))
    return Rendered(text, _keyboard(digest))

"""A client's audit trail, for admins: who viewed or changed what for the client, newest first, a page at a time.

The log keeps ids only, and so does this view: an actor "tg:123" is shown as the role the Telegram account is bound
as (and the adviser's id), never a name. Pages count back from the newest entry there was when the trail was first
opened (`upto`), so that the entries written since, this view's own among them, do not shift the pages being read.
Every look at a trail is itself audited ("audit.view").
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.db.models import RECORD_ID, AuditEntry, Client, Role, TelegramAccount
from bot.workspace.stats import require_admin

__all__ = ["AUDIT_PAGE_SIZE", "Actor", "AuditLine", "AuditPage", "AuditRefusal", "audit_trail"]

AUDIT_PAGE_SIZE = 10
_TELEGRAM_ACTOR = re.compile(r"tg:(\d{1,20})")


class AuditRefusal(enum.StrEnum):
    NO_SUCH_CLIENT = "no_such_client"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who wrote an entry: a Telegram account as bound now (`role`, None when it is bound no more, and the adviser's
    id for an adviser), or `stored`, the actor as the log keeps it for anything else (the command line, a scoring
    run, the console's operator)."""

    stored: str
    telegram: bool
    role: Role | None = None
    adviser_id: str | None = None
    own: bool = False  # the client themselves


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime  # UTC
    actor: Actor
    action: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditPage:
    client_id: str
    name: str
    lines: tuple[AuditLine, ...]
    page: int  # from 0, within [0, pages)
    pages: int  # at least 1, even for a trail with no entries
    total: int
    upto: int  # the id of the newest entry the pages count back from (0: none)


async def audit_trail(session: AsyncSession, reader: Reader, client_id: str, *, page: int = 0,
                      upto: int | None = None) -> AuditPage | AuditRefusal:
    """Page `page` of the client's trail, counted back from entry `upto` (the newest there is when None); a page
    past either end is the nearest page there is. The look is audited."""
    require_admin(reader)
    name = await session.scalar(select(Client.name).where(Client.client_id == client_id)) \
        if RECORD_ID.fullmatch(client_id) else None
    if name is None:
        return AuditRefusal.NO_SUCH_CLIENT
    of_client = AuditEntry.client_id == client_id
    if upto is None:
        upto = await session.scalar(select(func.max(AuditEntry.id)).where(of_client)) or 0
    shown = (of_client, AuditEntry.id <= upto)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*shown)) or 0
    pages = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = (await session.execute(
        select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.details).where(*shown)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(page * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE)
    )).all()
    actors = await _actors(session, {row.actor for row in rows}, client_id)
    session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{reader.user_id}", action="audit.view",
                           client_id=client_id, details={"role": str(reader.role), "page": page + 1}))
    lines = tuple(AuditLine(row.at, actors[row.actor], row.action, row.details or {}) for row in rows)
    return AuditPage(client_id, name, lines, page, pages, total, upto)


async def _actors(session: AsyncSession, stored: set[str], client_id: str) -> dict[str, Actor]:
    """Each actor of a page as shown: Telegram accounts with the role they are bound as now (one query)."""
    user_ids = {actor: int(match[1]) for actor in stored if (match := _TELEGRAM_ACTOR.fullmatch(actor))}
    accounts = {row.telegram_user_id: row for row in await session.execute(
        select(TelegramAccount.telegram_user_id, TelegramAccount.role, TelegramAccount.adviser_id,
               TelegramAccount.client_id)
        .where(TelegramAccount.telegram_user_id.in_(set(user_ids.values())))
    )} if user_ids else {}
    actors = {}
    for actor in stored:
        account = accounts.get(user_ids[actor]) if actor in user_ids else None
        if account is not None:
            actors[actor] = Actor(actor, True, account.role, account.adviser_id, own=account.client_id == client_id)
        else:
            actors[actor] = Actor(actor, actor in user_ids)
    return actors

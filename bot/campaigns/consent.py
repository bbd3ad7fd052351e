"""The consent ledger: a client's yes or no to marketing (strategy messages), as records that are only ever added.

The latest record is in force; a client with none has the consent they gave the firm at onboarding, so marketing
may reach them until they refuse it. Refusing is as easy as allowing: /unsubscribe, the words 退订 or 取消订阅
(typed in either script) and "stop", or the button under every marketing message; each record keeps when, by
which channel and which wording the client acted on. Service messages (surveys, alerts) are not marketing and do
not ask this ledger.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Final

from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from bot.accounts import AllowedClient, Reader, Refusal, grant_access
from bot.db.models import Campaign, CampaignKind, Client, ConsentPurpose, ConsentRecord, OutboxMessage, Role
from bot.faq import normalize
from bot.i18n.rendering import environment

__all__ = ["CONFIRMATION_TEMPLATE", "MENU_TEMPLATE", "REFUSAL_WORDS", "ConsentChange", "campaign_text_version",
           "change_marketing", "has_consent", "is_refusal", "marketing_allowed", "record_consent", "refused",
           "text_version"]

# A message that is one of these words and nothing else (any case, any punctuation) refuses marketing, as
# /unsubscribe does: the opt-out words of SMS practice, in both languages.
REFUSAL_WORDS: Final = frozenset({"退订", "取消订阅", "stop", "unsubscribe"})
# The confirmation a client is shown when they refuse or allow marketing in the chat; its button undoes the change,
# so a record made with that button names this wording.
CONFIRMATION_TEMPLATE: Final = "campaigns/consent.html.j2"
# The command menu that offers /unsubscribe and /subscribe: the wording a record made by a command or a word names.
MENU_TEMPLATE: Final = "commands.html.j2"

# A session (the chat's unit of work, which then knows it wrote) or a connection (a command's transaction).
Executor = AsyncConnection | AsyncSession


def _is_latest(purpose: ConsentPurpose) -> ColumnElement[bool]:
    """SQL: the `ConsentRecord` is its client's latest for `purpose` (the later `at`, then the later id)."""
    later = aliased(ConsentRecord)
    return ~exists().where(
        later.client_id == ConsentRecord.client_id, later.purpose == purpose,
        (later.at > ConsentRecord.at) | and_(later.at == ConsentRecord.at, later.id > ConsentRecord.id))


def _latest(purpose: ConsentPurpose) -> Select[str, bool]:
    return select(ConsentRecord.client_id, ConsentRecord.granted).where(ConsentRecord.purpose == purpose,
                                                                        _is_latest(purpose))


def refused(purpose: ConsentPurpose = ConsentPurpose.MARKETING) -> ColumnElement[bool]:
    """SQL: the client (`Client.client_id`) has refused `purpose` by their latest record. Correlated on the client,
    so that each client's records are sought in the (client, purpose, at) index."""
    return exists().where(ConsentRecord.client_id == Client.client_id, ConsentRecord.purpose == purpose,
                          ConsentRecord.granted.is_(False), _is_latest(purpose))


async def has_consent(connection: Executor, client_id: str, purpose: ConsentPurpose = ConsentPurpose.MARKETING
                      ) -> bool:
    """Whether `purpose` may reach the client now: their latest record says yes, or there is none."""
    row = (await connection.execute(_latest(purpose).where(ConsentRecord.client_id == client_id))).first()
    return row is None or bool(row.granted)


async def record_consent(connection: Executor, client_id: str, *, granted: bool, channel: str,
                         text_version: str, now: datetime, telegram_user_id: int | None = None,
                         purpose: ConsentPurpose = ConsentPurpose.MARKETING) -> bool:
    """Add a record; returns whether it changed anything (False: the client's latest record already said so, and
    nothing is added)."""
    if await has_consent(connection, client_id, purpose) == granted:
        return False
    await connection.execute(ConsentRecord.__table__.insert().values(  # type: ignore[attr-defined]
        client_id=client_id, purpose=purpose, granted=granted, at=now, channel=channel[:32],
        text_version=text_version[:64], telegram_user_id=telegram_user_id))
    return True


# --- in the chat ---------------------------------------------------------------------------------------


def is_refusal(text: str) -> bool:
    """`text` is one of the refusal words and nothing else."""
    return normalize(text) in REFUSAL_WORDS


@cache
def _source_digest(template: str) -> str:
    environment_ = environment()
    assert environment_.loader is not None
    source, _filename, _uptodate = environment_.loader.get_source(environment_, template)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def text_version(template: str, locale: str) -> str:
    """The version of the wording a person was shown: the template's name, the first 12 hex digits of the SHA-256
    of its source (read once per process) and the locale, e.g. "campaigns/consent.html.j2@3f2a9c1d4e5b:zh_Hans"."""
    return f"{template}@{_source_digest(template)}:{locale}"


@dataclass(frozen=True, slots=True)
class ConsentChange:
    """What a client's word did: marketing is now `granted` or not, and `changed` says whether it was otherwise
    before (False: it was so already, and nothing was recorded)."""

    granted: bool
    changed: bool


async def campaign_text_version(session: AsyncSession, allowed: AllowedClient, message_id: int, locale: str
                                ) -> str | None:
    """The version of the strategy message `message_id` in the allowed client's chat, as the outbox sent it: its
    campaign's template file, the first 12 hex digits of the campaign's `content_digest` and `locale`, e.g.
    "strategies/seminars.toml@3f2a9c1d4e5b:en"; None when that message is no campaign's strategy message."""
    row = (await session.execute(
        select(Campaign.template, Campaign.content_digest)
        .join(OutboxMessage, OutboxMessage.campaign_id == Campaign.id)
        .where(OutboxMessage.telegram_user_id == allowed.reader.user_id, OutboxMessage.message_id == message_id,
               Campaign.kind == CampaignKind.STRATEGY))).first()
    if row is None or row.content_digest is None:
        return None
    return f"strategies/{row.template}.toml@{row.content_digest[:12]}:{locale}"


async def change_marketing(session: AsyncSession, allowed: AllowedClient, *, granted: bool, channel: str,
                           text_version: str, now: datetime) -> ConsentChange:
    """Record the allowed client's yes or no to marketing, said in the chat through `channel`
    ("telegram:command", "telegram:word", "telegram:button") in answer to the wording `text_version` names (see
    `text_version()` and `campaign_text_version()`); in the caller's unit of work."""
    changed = await record_consent(session, allowed.client_id, granted=granted, channel=channel,
                                   text_version=text_version, now=now, telegram_user_id=allowed.reader.user_id)
    return ConsentChange(granted, changed)


async def marketing_allowed(session: AsyncSession, reader: Reader) -> bool | None:
    """Whether marketing may reach the reader, a client; None for anyone else (/settings shows it to clients)."""
    if reader.role is not Role.CLIENT:
        return None
    allowed = await grant_access(session, reader, None)
    if isinstance(allowed, Refusal):
        return None
    return await has_consent(session, allowed.client_id)

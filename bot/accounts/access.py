"""Who may see which client: the one check every read of a client's data goes through.

`grant_access` is the only way to get an `AllowedClient`, and every function that reads a client's card, details
or history takes one, so a screen cannot read a client's data without asking first. A client sees only themselves,
an adviser still with the firm only the clients assigned to them, an admin every client there is. "No such client"
and "not yours" are the same refusal, so that ids cannot be probed. A staff member's view is written to the audit
log here, when it is granted; so is a staff member's refused look-up (another adviser's client, an id no client
has), so that an admin sees ids being probed.

A list of clients (an adviser's book, a search by name) takes an `AllowedBook` from `grant_book`: the clients of
one adviser still with the firm, or, for an admin, the whole firm or one adviser's book.
"""

from __future__ import annotations

import enum
from dataclasses import InitVar, dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.readers import Reader
from bot.config import firm_today
from bot.db.models import RECORD_ID, Adviser, AuditEntry, Client, Role, with_the_firm

__all__ = ["AllowedBook", "AllowedClient", "Refusal", "example_client", "grant_access", "grant_book"]


class Refusal(enum.StrEnum):
    """Why a reader is not shown a client's standing."""

    NOT_LINKED = "not_linked"  # the Telegram account is bound to nobody
    NO_CLIENT = "no_client"  # staff asked without naming a client
    NOT_ALLOWED = "not_allowed"  # no such client, or not one the reader may see
    NOT_SCORED = "not_scored"  # allowed, but no scoring run has placed the client yet
    NOT_ASSESSED = "rejected"  # allowed and scored, but the client's data cannot be assessed now


_GRANT = object()  # held only by this module: an AllowedClient made anywhere else fails on creation


@dataclass(frozen=True, slots=True)
class AllowedClient:
    """Permission for `reader` to see client `client_id`, and a record that it was audited if it had to be."""

    client_id: str
    reader: Reader
    audited: bool
    # Not a field: dataclasses.replace() cannot carry a grant over to another client either.
    grant: InitVar[object]

    def __post_init__(self, grant: object) -> None:
        if grant is not _GRANT:
            raise TypeError("an AllowedClient is granted by grant_access() only")

    @property
    def own(self) -> bool:
        """The reader is the client."""
        return self.reader.role is Role.CLIENT


@dataclass(frozen=True, slots=True)
class AllowedBook:
    """Permission for `reader` to list clients: those of adviser `adviser_id`, or every client when None (admins
    only)."""

    reader: Reader
    adviser_id: str | None
    grant: InitVar[object]

    def __post_init__(self, grant: object) -> None:
        if grant is not _GRANT:
            raise TypeError("an AllowedBook is granted by grant_book() only")

    @property
    def whole_firm(self) -> bool:
        return self.adviser_id is None


async def grant_access(session: AsyncSession, reader: Reader, client_id: str | None, *, view: str | None = None
                       ) -> AllowedClient | Refusal:
    """Whether `reader` may see client `client_id` (their own when None); a staff member's view is audited as it is
    granted, and so is a staff member's refused look-up. `view` names the screen in the audit entry (e.g.
    "summary"), so that /audit can tell a summary from a card."""
    if not reader.bound:
        return Refusal.NOT_LINKED
    client_id = client_id or reader.client_id
    if client_id is None:
        return Refusal.NO_CLIENT
    refused = await _refused_because(session, reader, client_id)
    if refused is not None:
        if reader.staff:
            _audit_refusal(session, reader, client_id, refused)
        return Refusal.NOT_ALLOWED
    if reader.staff:
        details = {"role": str(reader.role)} if view is None else {"role": str(reader.role), "view": view}
        session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{reader.user_id}", action="client.view",
                               client_id=client_id, details=details))
    return AllowedClient(client_id, reader, audited=reader.staff, grant=_GRANT)


async def grant_book(session: AsyncSession, reader: Reader, adviser_id: str | None = None) -> AllowedBook | Refusal:
    """Whether `reader` may list the clients of adviser `adviser_id` (None: an adviser's own book, an admin's whole
    firm): an adviser still with the firm their own book only, an admin any adviser's that exists."""
    if not reader.bound:
        return Refusal.NOT_LINKED
    if reader.role is Role.ADMIN:
        if adviser_id is None:
            return AllowedBook(reader, None, grant=_GRANT)
        known = RECORD_ID.fullmatch(adviser_id) and await session.get(Adviser, adviser_id) is not None
        return AllowedBook(reader, adviser_id, grant=_GRANT) if known else Refusal.NOT_ALLOWED
    if reader.role is not Role.ADVISER or adviser_id not in (None, reader.adviser_id):
        return Refusal.NOT_ALLOWED
    left_on = await session.scalar(select(Adviser.left_on).where(Adviser.adviser_id == reader.adviser_id))
    if not with_the_firm(left_on, firm_today()):
        return Refusal.NOT_ALLOWED
    return AllowedBook(reader, reader.adviser_id, grant=_GRANT)


async def example_client(session: AsyncSession, reader: Reader) -> str | None:
    """The id of a client a staff member may look up, to show them how (/tier ID): the first of an adviser's own
    book, any client for an admin; None for everyone else, or when there is none."""
    if not reader.staff:
        return None
    query = select(Client.client_id).order_by(Client.client_id).limit(1)
    if reader.role is Role.ADVISER:  # one still with the firm: one who has left is refused every client
        query = query.join(Adviser, Adviser.adviser_id == Client.adviser_id).where(
            Client.adviser_id == reader.adviser_id,
            Adviser.with_the_firm_on(firm_today()))
    return await session.scalar(query)


def _audit_refusal(session: AsyncSession, reader: Reader, asked: str, because: str) -> None:
    """A staff member asked for a client they may not see: one entry, so that an admin sees ids being probed.

    The reader is told only "not allowed"; the entry says why (`because`). The id asked for is kept when a client
    has it; what names no client is not kept (it may be a phone number or a name typed by mistake), the log holding
    ids of clients only: the entry itself shows the probing.
    """
    known = because != "no_such_client"
    session.add(AuditEntry(
        at=datetime.now(UTC), actor=f"tg:{reader.user_id}", action="client.view_refused",
        client_id=asked if known else None,
        details={"role": str(reader.role), "refusal": str(Refusal.NOT_ALLOWED), "because": because},
    ))


# Built once: asked on every view of a client by staff.
_ASSIGNMENT = (
    select(Client.adviser_id, Adviser.left_on)
    .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
    .where(Client.client_id == bindparam("client_id"))
)


async def _refused_because(session: AsyncSession, reader: Reader, client_id: str) -> str | None:
    """None when `reader` may see the client; else why not, for the audit log: "no_such_client", "not_own"
    (a client asking for another), "not_assigned" (another adviser's client), "adviser_left"."""
    if reader.role is Role.CLIENT:
        return None if reader.client_id == client_id else "not_own"
    if RECORD_ID.fullmatch(client_id) is None:
        return "no_such_client"
    connection = await session.connection()  # a Core read: no ORM work on its row
    row = (await connection.execute(_ASSIGNMENT, {"client_id": client_id})).one_or_none()
    if row is None:
        return "no_such_client"
    if reader.role is Role.ADMIN:
        return None
    if row.adviser_id != reader.adviser_id:
        return "not_assigned"
    if not with_the_firm(row.left_on, firm_today()):
        return "adviser_left"
    return None

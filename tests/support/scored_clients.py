"""The clients of the scored database, handed out one to a test.

The scored database is built once for the whole run and shared by every test that asks for it. A test that binds
a client to a Telegram account, or changes a client's data, must not meet another test's client; so tests do not
pick clients themselves but take them from one `ScoredClients`, which never hands out a client twice:

    client_id = await clients.take(tier="ordinary")
    advised = await clients.take(Client.adviser_id.is_not(None), tier="mid")
    someone_else_s = await clients.take(Client.adviser_id != adviser_id)

The chat speaks to a person in the language the firm's record gives them (unless they choose another), so a test
that reads English takes a client whose record says English: `clients.take(READS_ENGLISH, tier="mid")`, and
`ADVISER_READS_ENGLISH` for a client whose adviser's record does.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import Adviser, Client, TierState

__all__ = ["ADVISER_READS_ENGLISH", "READS_ENGLISH", "ScoredClients"]

READS_ENGLISH: ColumnElement[bool] = Client.locale == "en"
ADVISER_READS_ENGLISH: ColumnElement[bool] = Client.adviser_id.in_(
    select(Adviser.adviser_id).where(Adviser.locale == "en"))


class ScoredClients:
    """Hands out each scored client at most once: the first by id that meets the conditions and is still free."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._taken: set[str] = set()

    async def take(self, *where: ColumnElement[bool], tier: str | None = None) -> str:
        """The id of a client not handed out before, in `tier` if given, meeting every condition of `where` (on
        `Client` and `TierState` columns). LookupError when no such client is left."""
        conditions = [*where] if tier is None else [TierState.tier == tier, *where]
        query = (
            select(Client.client_id)
            .join(TierState, TierState.client_id == Client.client_id)
            .where(Client.client_id.not_in(self._taken), *conditions)
            .order_by(Client.client_id)
            .limit(1)
        )
        async with self.engine.connect() as connection:
            client_id = (await connection.execute(query)).scalar_one_or_none()
        if client_id is None:
            wanted = ", ".join(str(condition) for condition in conditions) or "any client"
            raise LookupError(f"no scored client left that meets {wanted}: {len(self._taken)} are taken")
        self._taken.add(client_id)
        return client_id

"""Alert digests: each adviser hears of their clients' changes in one message per scoring run, through the outbox.

Queueing (`queue_digests`) runs in the transaction that raised the alerts (the scoring run's), or in `tierbot
digest`'s for alerts that waited: an adviser with the firm who has a Telegram account gets one outbox row carrying
every alert of theirs not yet in a digest, and each of those alerts is marked with that row (`Alert.outbox_id`), so
that an alert is in one digest only and the same change never alerts twice. The row is sent when quiet hours are
over on the adviser's clock.

Loading (`load_digest`) runs when the sender renders the row, in the recipient's language then: it reads again
which of those clients are still the adviser's, and whether the adviser is still with the firm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.accounts import Reader
from bot.config import Settings, firm_day, firm_today, zone_or
from bot.db.models import (
    TELEGRAM_IDS_BELOW,
    Adviser,
    Alert,
    AlertKind,
    Client,
    OutboxMessage,
    OutboxStatus,
    Role,
    ScoringRun,
    TelegramAccount,
)
from bot.delivery import Outgoing, enqueue
from bot.delivery.quiet import QuietHours, next_outside_quiet_hours
from tiering import TierRules

__all__ = ["DIGEST_KIND", "Digest", "DigestEntry", "DigestSchedule", "DigestsQueued", "PendingDigest", "dedupe_key",
           "digests_to_queue", "load_digest", "pending_digests", "queue_digests", "reachable_advisers"]

DIGEST_KIND: Final = "alert_digest"

@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When digests may reach advisers: quiet hours (None: none) on each adviser's clock, the firm's time zone for
    an adviser whose record names none."""

    quiet: QuietHours | None
    firm_timezone: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DigestSchedule:
        return cls(settings.delivery.quiet, settings.firm.timezone)

    def not_before(self, now: datetime, timezone: str | None) -> datetime:
        """The first moment from `now` outside quiet hours on the clock of `timezone` (a person's: else, or when
        this machine does not know it, the firm's)."""
        return next_outside_quiet_hours(now, self.quiet, zone_or(timezone, self.firm_timezone))


@dataclass(frozen=True, slots=True)
class DigestsQueued:
    """What one queueing did: digests queued, the alerts they carry, and alerts left waiting for advisers with the
    firm who have no Telegram account the bot can reach (they go into the first digest after they bind)."""

    digests: int
    alerts: int
    waiting: int


def dedupe_key(scoring_run: int, adviser_id: str) -> str:
    """One digest per adviser per scoring run: the run is the latest one whose alerts the digest carries (alerts
    waiting from earlier runs go with it)."""
    return f"{DIGEST_KIND}:run:{scoring_run}:adviser:{adviser_id}"


def _waiting(today: date) -> Select[int, str, str | None]:
    """Alerts in no digest yet, of advisers with the firm on `today`. Feedback alerts are never in a digest: they go
    at once, on their own (`bot.campaigns.answers`)."""
    return (
        select(Alert.id, Alert.adviser_id, Adviser.timezone)
        .join(Adviser, Adviser.adviser_id == Alert.adviser_id)
        .where(Alert.outbox_id.is_(None), Alert.kind != AlertKind.FEEDBACK, Adviser.with_the_firm_on(today))
    )


def reachable_advisers() -> Select[int]:
    """Adviser accounts a push can reach: not blocked, and not the console's."""
    return select(TelegramAccount.telegram_user_id).where(
        TelegramAccount.role == Role.ADVISER, TelegramAccount.blocked_at.is_(None),
        TelegramAccount.telegram_user_id < TELEGRAM_IDS_BELOW)


async def _recipients(connection: AsyncConnection, adviser_ids: Sequence[str]) -> dict[str, int]:
    """Each adviser's account to push to: the most recently bound one that has not blocked the bot (the phone they
    use now; an older account may be a phone they no longer have)."""
    rows = await connection.execute(
        reachable_advisers().add_columns(TelegramAccount.adviser_id)
        .where(TelegramAccount.adviser_id.in_(adviser_ids))
        .order_by(TelegramAccount.bound_at.desc(), TelegramAccount.telegram_user_id.desc())
    )
    recipients: dict[str, int] = {}
    for user_id, adviser_id in rows:
        recipients.setdefault(adviser_id, user_id)
    return recipients


async def _plan(connection: AsyncConnection, *, schedule: DigestSchedule, now: datetime, scoring_run: int | None,
                lock: bool) -> list[Outgoing]:
    """The digest each adviser would get now: with the firm, reachable in Telegram, with alerts in no digest yet."""
    run = scoring_run if scoring_run is not None else await connection.scalar(
        select(func.max(ScoringRun.id)).where(ScoringRun.finished_at.is_not(None)))
    if run is None:
        return []
    waiting = _waiting(firm_day(now)).where(
        exists(reachable_advisers().where(TelegramAccount.adviser_id == Alert.adviser_id))).order_by(Alert.id)
    # Locked (PostgreSQL), so that a queueing running at the same time waits, then finds them in a digest.
    rows = (await connection.execute(waiting.with_for_update(of=Alert) if lock else waiting)).all()
    by_adviser: dict[str, list[int]] = {}
    zones: dict[str, str | None] = {}
    for alert_id, adviser_id, zone in rows:
        by_adviser.setdefault(adviser_id, []).append(alert_id)
        zones[adviser_id] = zone
    recipients = await _recipients(connection, list(by_adviser)) if by_adviser else {}
    return [
        Outgoing(DIGEST_KIND, recipients[adviser_id], dedupe_key(run, adviser_id),
                 not_before=schedule.not_before(now, zones[adviser_id]),
                 payload={"alerts": alerts, "scoring_run": run})
        for adviser_id, alerts in by_adviser.items() if adviser_id in recipients
    ]


async def digests_to_queue(connection: AsyncConnection, *, schedule: DigestSchedule, now: datetime
                           ) -> list[Outgoing]:
    """The digests `queue_digests` would queue now, writing nothing (`tierbot digest --dry-run`)."""
    return await _plan(connection, schedule=schedule, now=now, scoring_run=None, lock=False)


async def queue_digests(connection: AsyncConnection, *, schedule: DigestSchedule, now: datetime,
                        scoring_run: int | None = None) -> DigestsQueued:
    """Queue a digest for every adviser with the firm, reachable in Telegram, who has alerts in no digest yet, in the
    caller's transaction. `scoring_run` is the run that just raised alerts; None: the latest finished run (`tierbot
    digest`, for alerts that waited)."""
    messages = await _plan(connection, schedule=schedule, now=now, scoring_run=scoring_run, lock=True)
    queued = await enqueue(connection, messages, now=now)
    digests = carried = 0
    for message in messages:
        # A key queued before leaves its alerts waiting: they go into the adviser's next digest.
        if (outbox_id := queued.get(message.dedupe_key)) is not None:
            alert_ids = message.payload["alerts"]
            await connection.execute(update(Alert).where(Alert.id.in_(alert_ids)).values(outbox_id=outbox_id))
            digests, carried = digests + 1, carried + len(alert_ids)
    left = await connection.scalar(
        select(func.count()).select_from(_waiting(firm_day(now)).subquery()))
    return DigestsQueued(digests=digests, alerts=carried, waiting=left or 0)


@dataclass(frozen=True, slots=True)
class PendingDigest:
    """A digest in the outbox, not sent yet."""

    outbox_id: int
    telegram_user_id: int
    payload: dict[str, Any]
    attempts: int
    not_before: datetime


async def pending_digests(connection: AsyncConnection) -> list[PendingDigest]:
    """The digests waiting in the outbox, in the order the sender takes them."""
    rows = await connection.execute(
        select(OutboxMessage.id, OutboxMessage.telegram_user_id, OutboxMessage.payload, OutboxMessage.attempts,
               OutboxMessage.next_attempt_at)
        .where(OutboxMessage.kind == DIGEST_KIND, OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id))
    return [PendingDigest(*row) for row in rows]


# --- what a digest says, read when it is sent ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One change of one client: a tier that moved (`tier_from` -> `tier_to`), or a churn risk that rose."""

    client_id: str
    name: str
    kind: AlertKind
    tier_from: str | None = None
    tier_to: str | None = None
    p_alive: float | None = None


@dataclass(frozen=True, slots=True)
class Digest:
    """What an adviser reads of a digest: the day scored, then upgrades, downgrades and rising churn risks, each
    in the order worth reading (the higher tiers first; the likeliest to leave first)."""

    as_of: date | None
    upgrades: tuple[DigestEntry, ...]
    downgrades: tuple[DigestEntry, ...]
    churn_risks: tuple[DigestEntry, ...]

    @property
    def entries(self) -> tuple[DigestEntry, ...]:
        return self.upgrades + self.downgrades + self.churn_risks

    def clients(self) -> list[tuple[str, str]]:
        """(client id, name) of each client, once, in the order they are listed."""
        return list({entry.client_id: (entry.client_id, entry.name) for entry in self.entries}.values())


def _rank(rules: TierRules, tier: str | None) -> int:
    # A tier the rules in force no longer have ranks below all of theirs.
    rank = rules.rank(tier) if tier is not None else None
    return -1 if rank is None else rank


async def load_digest(session: AsyncSession, reader: Reader, alert_ids: Sequence[int], *, scoring_run: int | None,
                      rules: TierRules) -> Digest | None:
    """The digest of `alert_ids` as `reader` may read it now: only alerts of the reader's own, of clients still
    theirs, while they are with the firm; None when nothing is left to say.

    Not through `grant_access`: a digest is no view of a client's data (its names and tier changes are the
    adviser's own book, checked here in one query), and the summary each button opens asks for access itself."""
    if reader.role is not Role.ADVISER or reader.adviser_id is None or not alert_ids:
        return None
    rows = (await session.execute(
        select(Alert.client_id, Client.name, Alert.kind, Alert.details)
        .join(Client, Client.client_id == Alert.client_id)
        .join(Adviser, Adviser.adviser_id == Alert.adviser_id)
        .where(Alert.id.in_(alert_ids), Alert.adviser_id == reader.adviser_id,
               Client.adviser_id == reader.adviser_id,
               Adviser.with_the_firm_on(firm_today()))
        .order_by(Alert.id)
    )).all()
    if not rows:
        return None
    upgrades: list[DigestEntry] = []
    downgrades: list[DigestEntry] = []
    churn_risks: list[DigestEntry] = []
    for client_id, name, kind, details in rows:
        details = details or {}
        if kind is AlertKind.TIER_CHANGE:
            entry = DigestEntry(client_id, name, kind, tier_from=details.get("from"), tier_to=details.get("to"))
            rising = _rank(rules, entry.tier_to) > _rank(rules, entry.tier_from)
            (upgrades if rising else downgrades).append(entry)
        else:
            churn_risks.append(DigestEntry(client_id, name, kind, p_alive=details.get("p_alive")))

    def by_tier(entry: DigestEntry) -> tuple[int, str]:
        return -max(_rank(rules, entry.tier_from), _rank(rules, entry.tier_to)), entry.client_id

    def by_risk(entry: DigestEntry) -> tuple[bool, float, str]:
        return entry.p_alive is None, entry.p_alive or 0.0, entry.client_id

    as_of = await session.scalar(select(ScoringRun.as_of).where(ScoringRun.id == scoring_run)) \
        if scoring_run is not None else None
    return Digest(as_of, tuple(sorted(upgrades, key=by_tier)), tuple(sorted(downgrades, key=by_tier)),
                  tuple(sorted(churn_risks, key=by_risk)))

"""Alerts for advisers: which changes in a client's standing an adviser hears about, the alerts raised for them,
and the digests that carry them through the delivery outbox. Imports nothing of aiogram: a scoring run raises alerts
and queues digests, and the sender sends them."""

from bot.alerts.digests import (
    DIGEST_KIND,
    Digest,
    DigestEntry,
    DigestSchedule,
    DigestsQueued,
    PendingDigest,
    dedupe_key,
    digests_to_queue,
    load_digest,
    pending_digests,
    queue_digests,
    reachable_advisers,
)
from bot.alerts.policy import StandingChange, alerts_due
from bot.alerts.store import raise_alerts

__all__ = ["DIGEST_KIND", "Digest", "DigestEntry", "DigestSchedule", "DigestsQueued", "PendingDigest", "StandingChange",
           "alerts_due", "dedupe_key", "digests_to_queue", "load_digest", "pending_digests", "queue_digests",
           "raise_alerts", "reachable_advisers"]

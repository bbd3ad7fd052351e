"""The adviser's workspace: their book of clients, a client's summary written for staff, the summary's chart, and
the admin's views of the firm. Every read of a client's data takes the `AllowedClient` that
`bot.accounts.grant_access` returns; the admin's views (the firm's counts, a client's audit trail) are for admins
only and hold ids and counts, never a client's figures."""

from bot.workspace.audit import AUDIT_PAGE_SIZE, Actor, AuditLine, AuditPage, AuditRefusal, audit_trail
from bot.workspace.stats import UNDELIVERED, FirmStats, LastRun, TierCount, firm_stats, require_admin

__all__ = ["AUDIT_PAGE_SIZE", "UNDELIVERED", "Actor", "AuditLine", "AuditPage", "AuditRefusal", "FirmStats", "LastRun",
           "TierCount", "audit_trail", "firm_stats", "require_admin"]

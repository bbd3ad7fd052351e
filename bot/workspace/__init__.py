"""The adviser's workspace: their book of clients, a client's summary written for staff, the summary's chart, and
the admin's views of the firm. Every read of a client's data takes the `AllowedClient` that
`bot.accounts.grant_access` returns; every list of clients the `AllowedBook` of `bot.accounts.grant_book`; the
admin's views (the firm's counts, a client's audit trail) are for admins only and hold ids and counts, never a
client's figures."""

from bot.workspace.audit import AUDIT_PAGE_SIZE, Actor, AuditLine, AuditPage, AuditRefusal, audit_trail
from bot.workspace.book import (
    ASSESSMENT_WARNING_DAYS,
    CHANGED_WITHIN_DAYS,
    LIFECYCLE_STAGES,
    PAGE_SIZE,
    SEARCH_LIMIT,
    BookFilter,
    BookPage,
    BookQuery,
    BookRow,
    BookSort,
    assessment_expiry,
    book_page,
    names_an_id,
    search_by_name,
)
from bot.workspace.charts import chart_cached, summary_chart
from bot.workspace.stats import UNDELIVERED, FirmStats, LastRun, TierCount, firm_stats, require_admin
from bot.workspace.summary import (
    ClientSummary,
    Contact,
    HeldAbove,
    Holding,
    SurveyAnswer,
    TierChange,
    client_summary,
    open_summary,
)

__all__ = [
    "ASSESSMENT_WARNING_DAYS",
    "AUDIT_PAGE_SIZE",
    "CHANGED_WITHIN_DAYS",
    "LIFECYCLE_STAGES",
    "PAGE_SIZE",
    "SEARCH_LIMIT",
    "UNDELIVERED",
    "Actor",
    "AuditLine",
    "AuditPage",
    "AuditRefusal",
    "BookFilter",
    "BookPage",
    "BookQuery",
    "BookRow",
    "BookSort",
    "ClientSummary",
    "Contact",
    "FirmStats",
    "HeldAbove",
    "Holding",
    "LastRun",
    "SurveyAnswer",
    "TierChange",
    "TierCount",
    "assessment_expiry",
    "audit_trail",
    "book_page",
    "chart_cached",
    "client_summary",
    "firm_stats",
    "names_an_id",
    "open_summary",
    "require_admin",
    "search_by_name",
    "summary_chart",
]

"""The adviser's workspace: their book of clients, a client's summary written for staff, the summary's chart, and
the admin's views of the firm. Every read of a client's data takes the `AllowedClient` that
`bot.accounts.grant_access` returns; every list of clients the `AllowedBook` of `bot.accounts.grant_book`."""

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
    "CHANGED_WITHIN_DAYS",
    "LIFECYCLE_STAGES",
    "PAGE_SIZE",
    "SEARCH_LIMIT",
    "BookFilter",
    "BookPage",
    "BookQuery",
    "BookRow",
    "BookSort",
    "ClientSummary",
    "Contact",
    "HeldAbove",
    "Holding",
    "SurveyAnswer",
    "TierChange",
    "assessment_expiry",
    "book_page",
    "chart_cached",
    "client_summary",
    "names_an_id",
    "open_summary",
    "search_by_name",
    "summary_chart",
]

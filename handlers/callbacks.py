"""The buttons' callback data: typed factories carrying ids and enums, never display text.

Callback data comes from the person's app and can be forged: every handler checks access again on a press.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.workspace import BookFilter, BookSort


class TierView(StrEnum):
    CARD = "card"
    GAP = "gap"
    RECOMMENDATIONS = "recs"
    DIMENSIONS = "dims"


class TierCb(CallbackData, prefix="tier"):
    view: TierView
    client_id: str


class FaqCb(CallbackData, prefix="faq"):
    entry: str


class LanguageCb(CallbackData, prefix="lang"):
    locale: str


class SummaryCb(CallbackData, prefix="sum"):
    """Open a client's summary for staff: from a row of the book, a search result or an alert digest."""

    client_id: str


class BookCb(CallbackData, prefix="book"):
    """A page of the book: the filter's kind and value (a tier by its rank in the rules, a lifecycle stage by its
    segment), the sort, the page from 0, and for an admin the adviser whose book it is ("": the reader's own, the
    whole firm for an admin). Packed, at most 63 bytes with a 32-character adviser id."""

    kind: BookFilter
    value: str = ""
    sort: BookSort
    page: int
    adviser: str = ""


class BookMenuCb(CallbackData, prefix="bookm"):
    """The filters of the book, to pick one: the sort and the book's adviser carry over."""

    sort: BookSort
    adviser: str = ""


class AuditCb(CallbackData, prefix="audit"):
    """A page of a client's audit trail for an admin, counted back from entry `upto` (so that entries written since
    do not shift the pages)."""

    client_id: str
    page: int
    upto: int


class SurveyCb(CallbackData, prefix="sv"):
    """A rating pressed under a survey question: the campaign, the question's place in the survey, the rating.
    Checked on every press: the presser must be that campaign's recipient, the campaign open, the question
    unanswered and the rating on its scale."""

    campaign: int
    question: int
    rating: int


class SurveySkipCb(CallbackData, prefix="svs"):
    """Skip the optional "why?" after a rating."""

    campaign: int
    question: int


class ConsentAction(StrEnum):
    OFF = "off"  # no more strategy (marketing) messages
    ON = "on"


class ConsentCb(CallbackData, prefix="cons"):
    """The button under a marketing message (and /unsubscribe's answer) that refuses, or allows again, marketing."""

    action: ConsentAction


class CampaignAction(StrEnum):
    CARD = "card"  # the campaign's card, its figures as they are now
    PREVIEW = "preview"
    SAMPLES = "samples"  # the preview's messages, one per language, in messages of their own
    START = "start"  # asks to confirm
    START_CONFIRMED = "start!"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"  # asks to confirm
    CLOSE_CONFIRMED = "close!"
    REPORT = "report"


class CampaignCb(CallbackData, prefix="camp"):
    """A button of an admin's campaign card: the action and the campaign, and the page of the list the card was
    opened from (for its Back button). Checked on every press: the presser must be an admin, and the action must fit
    the campaign's state when pressed (the service's compare-and-set refuses a stale one)."""

    action: CampaignAction
    campaign: int
    page: int = 0


class CampaignListCb(CallbackData, prefix="camps"):
    """A page of an admin's list of campaigns, from 0, newest first."""

    page: int

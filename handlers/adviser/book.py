"""/clients: the reader's book, one page a message, paged, sorted and filtered with buttons that edit it in place;
each row opens the client's summary. An admin sees the whole firm, or one adviser's book with /clients ADVISER_ID.

Every press asks `grant_book` again: a button naming another adviser's book, a page past the last, or a filter no
button of ours carries gets the stale-button sentence, never rows.
"""

from __future__ import annotations

from functools import cache

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import AllowedBook, Reader, Refusal, Role, grant_book
from bot.i18n import current_locale, render
from bot.telegram import send, show
from bot.workspace import (
    ASSESSMENT_WARNING_DAYS,
    CHANGED_WITHIN_DAYS,
    LIFECYCLE_STAGES,
    PAGE_SIZE,
    BookFilter,
    BookPage,
    BookQuery,
    BookSort,
    book_page,
)
from handlers.callbacks import BookCb, BookMenuCb, SummaryCb
from tiering import TierRules

ROW_BUTTONS_PER_LINE = 2
# The windows the filters' labels name.
DAYS = {"changed_days": CHANGED_WITHIN_DAYS, "warning_days": ASSESSMENT_WARNING_DAYS}


@cache
def _label(which: str, locale: str, value: str = "") -> str:
    """A button's label in `locale`, which must be the current one."""
    return render("workspace/button.html.j2", which=which, value=value, **DAYS)


def _callback_value(query: BookQuery, rules: TierRules) -> str:
    """A filter's value as the button carries it: a tier by its rank, short whatever the firm names its tiers."""
    rank = rules.rank(query.value) if query.filter is BookFilter.TIER else None
    return str(rank) if rank is not None else query.value


def _query(data: BookCb, rules: TierRules) -> BookQuery | None:
    """The page a button asks for; None for what no button of ours carries."""
    value = data.value
    if data.kind is BookFilter.TIER:
        if not value.isdigit() or int(value) >= len(rules.tiers):
            return None
        value = rules.tiers[int(value)].id
    query = BookQuery(data.kind, value, data.sort, data.page)
    return query if query.valid(rules) else None


def _page_button(page: BookPage, rules: TierRules, *, label: str, sort: BookSort, number: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=label, callback_data=BookCb(
        kind=page.query.filter, value=_callback_value(page.query, rules), sort=sort, page=number,
        adviser=_adviser_field(page.book)).pack())


def _adviser_field(book: AllowedBook) -> str:
    """The adviser the buttons carry: only an admin's view of one adviser names one."""
    return (book.adviser_id or "") if book.reader.role is Role.ADMIN else ""


def _keyboard(page: BookPage, rules: TierRules) -> InlineKeyboardMarkup:
    locale = current_locale()
    first = page.page * PAGE_SIZE  # rows are numbered through the book, as the text numbers them
    rows = [
        InlineKeyboardButton(text=f"{first + index}. {row.name}",
                             callback_data=SummaryCb(client_id=row.client_id).pack())
        for index, row in enumerate(page.rows, 1)
    ]
    lines = [rows[i:i + ROW_BUTTONS_PER_LINE] for i in range(0, len(rows), ROW_BUTTONS_PER_LINE)]
    paging = []
    if page.page > 0:
        paging.append(_page_button(page, rules, label=_label("previous", locale), sort=page.query.sort,
                                   number=page.page - 1))
    if page.page + 1 < page.pages:
        paging.append(_page_button(page, rules, label=_label("next", locale), sort=page.query.sort,
                                   number=page.page + 1))
    if paging:
        lines.append(paging)
    other = BookSort.AUM if page.query.sort is BookSort.VALUE else BookSort.VALUE
    lines.append([
        _page_button(page, rules, label=_label(f"sort_{other}", locale), sort=other, number=0),
        InlineKeyboardButton(text=_label("filters", locale), callback_data=BookMenuCb(
            sort=page.query.sort, adviser=_adviser_field(page.book)).pack()),
    ])
    return InlineKeyboardMarkup(inline_keyboard=lines)


def _filters_keyboard(book: AllowedBook, sort: BookSort, rules: TierRules) -> InlineKeyboardMarkup:
    locale, adviser = current_locale(), _adviser_field(book)
    choices = [(BookFilter.ALL, "")]
    choices += [(BookFilter.TIER, str(rank)) for rank in range(len(rules.tiers))]
    choices += [(BookFilter.STAGE, str(stage)) for stage in LIFECYCLE_STAGES]
    choices += [(BookFilter.CHURN, ""), (BookFilter.CHANGED, ""), (BookFilter.RISK, "")]
    return InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(
            text=_filter_label(kind, value, rules, locale),
            callback_data=BookCb(kind=kind, value=value, sort=sort, page=0, adviser=adviser).pack())]
        for kind, value in choices
    ])


def _filter_label(kind: BookFilter, value: str, rules: TierRules, locale: str) -> str:
    if kind is BookFilter.TIER:
        return render("workspace/button.html.j2", which="filter_tier", value=rules.tiers[int(value)].id, rules=rules,
                      **DAYS)
    return _label(f"filter_{kind}", locale, value)


def render_page(page: BookPage, rules: TierRules) -> tuple[str, InlineKeyboardMarkup]:
    text = render("workspace/book.html.j2", page=page, rules=rules, first=page.page * PAGE_SIZE, **DAYS)
    return text, _keyboard(page, rules)


async def clients_command(message: Message, command: CommandObject, session: AsyncSession, reader: Reader,
                          rules: TierRules) -> None:
    """/clients, and for an admin /clients ADVISER_ID; an adviser's own book whatever they add."""
    assert message.bot is not None
    adviser = command.args.strip() if reader.role is Role.ADMIN and command.args else None
    book = await grant_book(session, reader, adviser)
    if isinstance(book, Refusal):  # an admin's unknown adviser; an adviser only once they have left
        text = (render("workspace/no_adviser.html.j2", adviser=adviser) if adviser is not None
                else render("workspace/departed.html.j2", left_on=reader.left_on))
        await send(message.bot, message.chat.id, text)
        return
    page = await book_page(session, book, BookQuery(), rules)
    await send(message.bot, message.chat.id, *render_page(page, rules))


async def book_press(callback: CallbackQuery, callback_data: BookCb, session: AsyncSession, reader: Reader,
                     rules: TierRules, callback_answer: CallbackAnswer) -> None:
    query = _query(callback_data, rules)
    book = await grant_book(session, reader, callback_data.adviser or None)
    if query is None or isinstance(book, Refusal):
        callback_answer.text = render("errors/stale_button.html.j2")
        return
    page = await book_page(session, book, query, rules)
    if page.beyond:
        callback_answer.text = render("errors/stale_button.html.j2")
        return
    await show(callback, *render_page(page, rules))


async def filters_press(callback: CallbackQuery, callback_data: BookMenuCb, session: AsyncSession, reader: Reader,
                        rules: TierRules, callback_answer: CallbackAnswer) -> None:
    book = await grant_book(session, reader, callback_data.adviser or None)
    if isinstance(book, Refusal):
        callback_answer.text = render("errors/stale_button.html.j2")
        return
    await show(callback, render("workspace/filters.html.j2"), _filters_keyboard(book, callback_data.sort, rules))


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(clients_command, Command("clients"))
    router.callback_query.register(book_press, BookCb.filter())
    router.callback_query.register(filters_press, BookMenuCb.filter())
    return router

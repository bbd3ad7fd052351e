"""/campaigns for admins: what `tierbot campaign` offers, in chat, through the same service functions.

`/campaigns` lists the campaigns, newest first, a button each, paged; `/campaigns 7` opens campaign 7's card;
`/campaigns new survey relationship_nps tier=mid locale=zh_Hans [at=2026-12-07T10:00]` creates a draft
(created_by "telegram:<user id>") and shows its card. A card shows the campaign's progress and the buttons its state
allows: Preview and Start for a draft, Pause or Resume once started, Close, Report, and Back to the list; Start and
Close ask to confirm with a second button. Buttons edit the message in place; the report comes in messages of its
own (the NPS-by-tier chart above it, for a survey), sent once the unit of work is done, and so do the preview's
samples (a message per language of the audience, as its first client in that language would read it, buttons
included: pressed by an admin they only say they are for clients).

Every press is checked again: the parent router admits admins only, and the service's compare-and-set refuses an
action the campaign's state no longer allows (a Start pressed after someone else started it). A CampaignError is
raised on as `CampaignRefused`, so that the unit of work rolls back whatever the step wrote, and `refused` answers
with its one sentence. Moments are shown in the admin's time zone: admins have no record of their own, so the
firm's (TIERBOT_TIMEZONE).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, ExceptionTypeFilter
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    ErrorEvent,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.i18n import I18n
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, grant_access
from bot.campaigns import CAMPAIGN_IDS, CampaignKind, CampaignStatus, campaign_number
from bot.campaigns.content import ContentError, template_ids
from bot.campaigns.report import campaign_report
from bot.campaigns.service import (
    CampaignError,
    CampaignView,
    campaign_status,
    close_campaign,
    close_ended_surveys,
    create_campaign,
    get_campaign,
    list_campaigns,
    pause_campaign,
    preview_campaign,
    resume_campaign,
    start_campaign,
    start_time,
)
from bot.config import Settings
from bot.db import UnitOfWork
from bot.i18n import current_locale, render
from bot.telegram import locale_of, send, show
from bot.workspace.charts import nps_by_tier_chart
from handlers.callbacks import CampaignAction, CampaignCb, CampaignListCb
from handlers.campaigns import campaign_samples
from handlers.common.language import LANGUAGE_NAMES
from tiering import TierRules

__all__ = ["CampaignRefused", "router"]

PAGE_SIZE: Final = 8  # campaigns a page of the list
_KINDS: Final = {kind.value: kind for kind in CampaignKind}
Keyboard = InlineKeyboardMarkup | None


class CampaignRefused(Exception):
    """A step of /campaigns the service refused (`sentence`, in the reader's locale), on campaign `campaign_id`
    (None: the command's), pressed from page `page` of the list."""

    def __init__(self, sentence: str, campaign_id: int | None, page: int = 0) -> None:
        super().__init__(sentence)
        self.sentence, self.campaign_id, self.page = sentence, campaign_id, page


@contextmanager
def _refused_as(campaign_id: int | None, page: int = 0) -> Iterator[None]:
    try:
        yield
    except CampaignError as error:
        raise CampaignRefused(str(error), campaign_id, page) from None


def _zone(settings: Settings) -> str:
    """The admin's time zone: an admin is bound to no record that would give one, so the firm's."""
    return settings.firm.timezone


# --- keyboards -----------------------------------------------------------------------------------------


@cache
def _labels(locale: str) -> dict[str, str]:
    """The buttons' labels in `locale`, which must be the current one."""
    names = ("preview", "samples", "start", "start!", "pause", "resume", "close", "close!", "report", "refresh",
             "cancel", "back", "list")
    labels = {name: render("admin/campaigns_button.html.j2", button=name) for name in names}
    return labels | {view: render("admin/button.html.j2", view=view) for view in ("newer", "older")}


def _button(label: str, action: CampaignAction, campaign_id: int, page: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_labels(current_locale())[label], callback_data=CampaignCb(
        action=action, campaign=campaign_id, page=page).pack())


def _list_button(page: int, label: str = "list") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_labels(current_locale())[label],
                                callback_data=CampaignListCb(page=page).pack())


def _card_keyboard(campaign: CampaignView, page: int) -> InlineKeyboardMarkup:
    """The actions the campaign's state allows, and Back to the list."""
    def button(label: str, action: CampaignAction) -> InlineKeyboardButton:
        return _button(label, action, campaign.id, page)

    match campaign.status:
        case CampaignStatus.DRAFT:
            rows = [[button("preview", CampaignAction.PREVIEW), button("start", CampaignAction.START)],
                    [button("close", CampaignAction.CLOSE)]]
        case CampaignStatus.RUNNING | CampaignStatus.PAUSED:
            move = (button("pause", CampaignAction.PAUSE) if campaign.status is CampaignStatus.RUNNING
                    else button("resume", CampaignAction.RESUME))
            rows = [[button("refresh", CampaignAction.CARD), move],
                    [button("report", CampaignAction.REPORT), button("close", CampaignAction.CLOSE)]]
        case _:
            rows = [[button("report", CampaignAction.REPORT)]]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [_list_button(page)]])


def _confirm_keyboard(campaign_id: int, page: int, action: CampaignAction) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        _button(action.value, action, campaign_id, page),
        _button("cancel", CampaignAction.CARD, campaign_id, page)]])


def _back_keyboard(campaign_id: int | None, page: int) -> InlineKeyboardMarkup:
    row = [] if campaign_id is None else [_button("back", CampaignAction.CARD, campaign_id, page)]
    return InlineKeyboardMarkup(inline_keyboard=[[*row, _list_button(page)]])


# --- what a step shows ---------------------------------------------------------------------------------


async def _list(session: AsyncSession, page: int, settings: Settings) -> tuple[str, Keyboard]:
    campaigns = await list_campaigns(session)
    pages = max(1, -(-len(campaigns) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = campaigns[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    text = render("admin/campaigns_list.html.j2", total=len(campaigns), page=page, pages=pages,
                  example=_example(), zone=_zone(settings))
    rows = [[InlineKeyboardButton(
        text=render("admin/campaigns_button.html.j2", button="campaign", campaign=campaign),
        callback_data=CampaignCb(action=CampaignAction.CARD, campaign=campaign.id, page=page).pack())]
        for campaign in shown]
    paging = [_list_button(to, label) for label, to in (("newer", page - 1), ("older", page + 1)) if 0 <= to < pages]
    rows += [paging] if paging else []
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def _example() -> dict[str, str | None]:
    """The templates the example of /campaigns new names: the first shipped of each kind."""
    return {kind.value: next(iter(template_ids(kind)), None) for kind in CampaignKind}


async def _card(session: AsyncSession, campaign_id: int, page: int, settings: Settings, rules: TierRules,
                notice: str | None = None, outcome: object = None) -> tuple[str, Keyboard]:
    progress = await campaign_status(session, campaign_id, now=datetime.now(UTC))
    text = render("admin/campaigns_card.html.j2", progress=progress, zone=_zone(settings), rules=rules,
                  fatigue=settings.campaign, notice=notice, outcome=outcome)
    return text, _card_keyboard(progress.campaign, page)


async def _preview(session: AsyncSession, campaign_id: int, page: int, settings: Settings, rules: TierRules
                   ) -> tuple[str, Keyboard]:
    preview = await preview_campaign(session, campaign_id, settings=settings, now=datetime.now(UTC), rules=rules)
    text = render("admin/campaigns_preview.html.j2", preview=preview, campaign=preview.campaign, rules=rules,
                  tiers=preview.tiers(rules), locales=preview.locales(), names=LANGUAGE_NAMES,
                  fatigue=settings.campaign)
    row = [_button("start", CampaignAction.START, campaign_id, page),
           _button("back", CampaignAction.CARD, campaign_id, page)]
    if preview.samples:
        row.insert(0, _button("samples", CampaignAction.SAMPLES, campaign_id, page))
    return text, InlineKeyboardMarkup(inline_keyboard=[row])


async def _ask_to_start(session: AsyncSession, campaign_id: int, page: int, settings: Settings, rules: TierRules
                        ) -> tuple[str, Keyboard]:
    """How many a start now would message (the preview's count: a draft only), and the button that starts it."""
    preview = await preview_campaign(session, campaign_id, settings=settings, now=datetime.now(UTC), rules=rules)
    text = render("admin/campaigns_confirm.html.j2", action="start", campaign=preview.campaign,
                  recipients=preview.recipients, zone=_zone(settings))
    return text, _confirm_keyboard(campaign_id, page, CampaignAction.START_CONFIRMED)


async def _ask_to_close(session: AsyncSession, campaign_id: int, page: int, settings: Settings, rules: TierRules
                        ) -> tuple[str, Keyboard]:
    campaign = await get_campaign(session, campaign_id)
    if campaign.status is CampaignStatus.CLOSED:
        return await _card(session, campaign_id, page, settings, rules, "closed_already")
    text = render("admin/campaigns_confirm.html.j2", action="close", campaign=campaign, zone=_zone(settings))
    return text, _confirm_keyboard(campaign_id, page, CampaignAction.CLOSE_CONFIRMED)


async def _step(session: AsyncSession, action: CampaignAction, campaign_id: int, page: int, settings: Settings,
                rules: TierRules) -> tuple[str, Keyboard]:
    """What a press of `action` shows, once done; a CampaignError when the campaign's state does not allow it."""
    now = datetime.now(UTC)
    match action:
        case CampaignAction.PREVIEW:
            return await _preview(session, campaign_id, page, settings, rules)
        case CampaignAction.START:
            return await _ask_to_start(session, campaign_id, page, settings, rules)
        case CampaignAction.START_CONFIRMED:
            started = await start_campaign(session, campaign_id, settings=settings, now=now, rules=rules)
            return await _card(session, campaign_id, page, settings, rules, "started", started)
        case CampaignAction.PAUSE:
            await pause_campaign(session, campaign_id)
            return await _card(session, campaign_id, page, settings, rules, "paused")
        case CampaignAction.RESUME:
            await resume_campaign(session, campaign_id)
            return await _card(session, campaign_id, page, settings, rules, "resumed")
        case CampaignAction.CLOSE:
            return await _ask_to_close(session, campaign_id, page, settings, rules)
        case CampaignAction.CLOSE_CONFIRMED:
            closed = await close_campaign(session, campaign_id, now=now)
            return await _card(session, campaign_id, page, settings, rules, "closed", closed)
        case _:
            return await _card(session, campaign_id, page, settings, rules)


# --- /campaigns ----------------------------------------------------------------------------------------


async def _create(session: AsyncSession, reader: Reader, terms: list[str], settings: Settings, rules: TierRules
                  ) -> tuple[str, Keyboard]:
    """`/campaigns new KIND TEMPLATE AUDIENCE... [at=TIME]`: a draft, and its card."""
    usage = {"example": _example(), "zone": _zone(settings)}
    if len(terms) < 2:
        return render("admin/campaigns_usage.html.j2", reason="new", **usage), None
    kind, template, *rest = terms
    if kind not in _KINDS:
        return render("admin/campaigns_usage.html.j2", reason="kind", kind=kind[:40], **usage), None
    times = [term for term in rest if term.startswith("at=")]
    if len(times) > 1:
        return render("admin/campaigns_usage.html.j2", reason="at_twice", **usage), None
    not_before = None
    if times:
        not_before = start_time(times[0].removeprefix("at="), _zone(settings))
        if not_before is None:
            return render("admin/campaigns_usage.html.j2", reason="at", at=times[0][:40], **usage), None
    audience = " ".join(term for term in rest if not term.startswith("at="))
    with _refused_as(None):
        created = await create_campaign(session, kind=_KINDS[kind], template=template, audience=audience,
                                        not_before=not_before, created_by=f"telegram:{reader.user_id}",
                                        now=datetime.now(UTC), rules=rules)
    return await _card(session, created.id, 0, settings, rules, "created")


async def campaigns_command(message: Message, command: CommandObject, session: AsyncSession, reader: Reader,
                            rules: TierRules, settings: Settings) -> None:
    terms = (command.args or "").split()
    with _refused_as(None):
        await close_ended_surveys(session, settings=settings, now=datetime.now(UTC))
    if not terms:
        text, keyboard = await _list(session, 0, settings)
    elif terms[0] == "new":
        text, keyboard = await _create(session, reader, terms[1:], settings, rules)
    elif len(terms) == 1 and (number := campaign_number(terms[0])) is not None:
        with _refused_as(None):
            text, keyboard = await _card(session, number, 0, settings, rules)
    else:
        text = render("admin/campaigns_usage.html.j2", reason="usage", example=_example(), zone=_zone(settings))
        keyboard = None
    assert message.bot is not None
    await send(message.bot, message.chat.id, text, keyboard)


# --- presses -------------------------------------------------------------------------------------------


async def list_page(callback: CallbackQuery, callback_data: CampaignListCb, session: AsyncSession,
                    settings: Settings) -> None:
    text, keyboard = await _list(session, callback_data.page, settings)
    await show(callback, text, keyboard)


async def campaign_press(callback: CallbackQuery, callback_data: CampaignCb, session: AsyncSession,
                         rules: TierRules, settings: Settings) -> None:
    campaign_id, page = callback_data.campaign, max(callback_data.page, 0)
    with _refused_as(campaign_id, page):
        await close_ended_surveys(session, settings=settings, now=datetime.now(UTC))
        text, keyboard = await _step(session, callback_data.action, campaign_id, page, settings, rules)
    await show(callback, text, keyboard)


async def report_press(callback: CallbackQuery, callback_data: CampaignCb, session: AsyncSession, rules: TierRules,
                       settings: Settings, unit_of_work: UnitOfWork) -> None:
    """The campaign's report in messages of its own (the card it was asked from stays), the NPS-by-tier chart above
    it for a survey with an NPS question."""
    assert callback.bot is not None
    bot, chat_id, campaign_id = callback.bot, callback.from_user.id, callback_data.campaign
    with _refused_as(campaign_id, max(callback_data.page, 0)):
        await close_ended_surveys(session, settings=settings, now=datetime.now(UTC))
        await get_campaign(session, campaign_id)  # one that exists: "There is no campaign 99." otherwise
    report = await campaign_report(await session.connection(), campaign_id, now=datetime.now(UTC), rules=rules)
    text = render("campaigns/report.html.j2", report=report, rules=rules, zone=_zone(settings))
    groups = report.nps_by_tier()
    chart = None
    if groups is not None:
        async with ChatActionSender.upload_photo(chat_id=chat_id, bot=bot, initial_sleep=0):
            png = await asyncio.to_thread(nps_by_tier_chart, groups, current_locale(), rules=rules)
        chart = BufferedInputFile(png, filename=f"campaign_{campaign_id}_nps.png")

    async def deliver() -> None:
        if chart is not None:  # the chart first: the report is read below it
            await bot.send_photo(chat_id, chart)
        await send(bot, chat_id, text)

    unit_of_work.after_commit(deliver)


async def samples_press(callback: CallbackQuery, callback_data: CampaignCb, session: AsyncSession, reader: Reader,
                        rules: TierRules, settings: Settings, unit_of_work: UnitOfWork,
                        callback_answer: CallbackAnswer) -> None:
    """What the draft's audience would read: a message per language, sent once the unit of work is done (the
    preview it was asked from stays). A strategy message names its client, so each sample is a view of that client
    in the audit log, as a summary is."""
    assert callback.bot is not None
    bot, chat_id, campaign_id = callback.bot, callback.from_user.id, callback_data.campaign
    with _refused_as(campaign_id, max(callback_data.page, 0)):
        await close_ended_surveys(session, settings=settings, now=datetime.now(UTC))
        preview = await preview_campaign(session, campaign_id, settings=settings, now=datetime.now(UTC), rules=rules)
        try:
            samples = await campaign_samples(session, preview)
        except ContentError as error:
            raise CampaignError(str(error)) from None
    for sample in samples:
        await grant_access(session, reader, sample.client_id, view="campaign_sample")
    if not samples:
        callback_answer.text = render("admin/campaigns_notice.html.j2", notice="no_samples")
        return
    messages = [(render("admin/campaigns_sample.html.j2", sample=sample, language=LANGUAGE_NAMES.get(
        sample.locale, sample.locale), body=Markup(sample.rendered.text)), sample.rendered.reply_markup)
        for sample in samples]

    async def deliver() -> None:
        for text, keyboard in messages:
            await send(bot, chat_id, text, keyboard)

    unit_of_work.after_commit(deliver)


async def refused(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    """The service's sentence, in place of the card for a press (with the way back to it), or as the answer to the
    command. The unit of work has rolled back: nothing the step wrote is kept."""
    error = event.exception
    assert isinstance(error, CampaignRefused)
    update = event.update
    with i18n.context(), i18n.use_locale(await locale_of(data, i18n.default_locale)):
        text = render("admin/campaigns_notice.html.j2", notice="refused", sentence=error.sentence)
        keyboard = _back_keyboard(error.campaign_id, error.page)
    if update.callback_query is not None:
        await show(update.callback_query, text, keyboard)
    elif update.message is not None:
        await send(bot, update.message.chat.id, text)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(campaigns_command, Command("campaigns"))
    router.callback_query.register(list_page, CampaignListCb.filter())
    router.callback_query.register(
        samples_press, CampaignCb.filter((F.action == CampaignAction.SAMPLES) & F.campaign.in_(CAMPAIGN_IDS)))
    router.callback_query.register(
        report_press, CampaignCb.filter((F.action == CampaignAction.REPORT) & F.campaign.in_(CAMPAIGN_IDS)))
    router.callback_query.register(campaign_press, CampaignCb.filter(F.campaign.in_(CAMPAIGN_IDS)))
    router.errors.register(refused, ExceptionTypeFilter(CampaignRefused))
    return router

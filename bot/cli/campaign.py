"""`tierbot campaign`: surveys and strategy messages pushed to an audience of clients: create a draft, preview who
it reaches (and what they would read), start, pause, resume and close it, follow it, list them.

Every command is one unit of work that first closes the surveys whose answer days have run out
(`bot.campaigns.service.close_ended_surveys`). Moments are shown in the firm's time zone (TIERBOT_TIMEZONE).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Final, TypeVar
from zoneinfo import ZoneInfo

import typer
from babel.dates import format_datetime
from babel.numbers import format_percent
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaigns import campaign_number
from bot.campaigns.audience import Exclusion
from bot.campaigns.service import (
    CampaignError,
    CampaignView,
    Closed,
    Preview,
    Progress,
    Started,
    campaign_status,
    close_campaign,
    close_ended_surveys,
    create_campaign,
    list_campaigns,
    pause_campaign,
    preview_campaign,
    resume_campaign,
    start_campaign,
    start_time,
)
from bot.cli.accounts import when
from bot.cli.common import CommandFailed, DatabaseOption, command_line, fail, number, open_database, out, run
from bot.cli.help import N_
from bot.config import Settings, get_settings
from bot.db import session_factory, unit_of_work
from bot.db.models import CampaignKind, CampaignStatus, OutboxStatus
from bot.i18n import gettext as _
from bot.i18n import ngettext, plain, render
from bot.i18n.vocabulary import language_name, tier_name
from bot.scoring import load_rules

if TYPE_CHECKING:
    from bot.runtime import CampaignSample

__all__ = ["campaign_app"]

T = TypeVar("T")

campaign_app = typer.Typer(help=N_("Campaigns: surveys and strategy messages pushed to an audience of clients."),
                           no_args_is_help=True)

IdArgument = Annotated[str, typer.Argument(metavar="ID", show_default=False,
                                           help=N_("The campaign's number (see “tierbot campaign list”)."))]

_KINDS: Final = {"survey": CampaignKind.SURVEY, "strategy": CampaignKind.STRATEGY}


def _campaign_id(text: str) -> int:
    number = campaign_number(text)
    if number is None:
        fail(_("“{id}” is not a campaign: campaigns are numbered, see “tierbot campaign list”.").format(id=text[:40]))
    return number


def _percent(ratio: float | None) -> str:
    return "-" if ratio is None else format_percent(ratio, locale=get_settings().firm.default_locale)


def _moment(moment: datetime) -> str:
    return when(moment, get_settings().firm.timezone)


def _named(**what: object) -> str:
    """The name /campaigns gives a `reason` (with `fatigue`), a `kind` or a `status`, as plain text."""
    return plain(render("admin/campaigns_name.html.j2", **what))


def _print_exclusions(exclusions: Mapping[Exclusion, int], settings: Settings) -> None:
    excluded = sum(exclusions.values())
    if not excluded:
        out.print(_("No client of the audience is left out."))
        return
    out.print(ngettext("Left out: {count} client of the audience.", "Left out: {count} clients of the audience.",
                       excluded).format(count=number(excluded)))
    counts = {reason: number(count) for reason, count in exclusions.items() if count}
    width = max(map(len, counts.values()), default=0)
    for reason, count in counts.items():
        out.print(f"  {count:>{width}}  {_named(reason=reason, fatigue=settings.campaign)}", markup=False)


def _title(campaign: CampaignView) -> str:
    return _("Campaign {id}, {kind} “{template}” to “{audience}”").format(
        id=campaign.id, kind=_named(kind=campaign.kind), template=campaign.template, audience=campaign.audience)


def _unit(database: str | None, settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one unit of work, after closing the surveys whose answer days have run out; a CampaignError
    is one sentence and exit status 1, with nothing written."""

    async def unit() -> T:
        async with open_database(database) as engine, unit_of_work(session_factory(engine)) as command:
            await close_ended_surveys(command.session, settings=settings, now=datetime.now(UTC))
            try:
                return await work(command.session)
            except CampaignError as error:
                raise CommandFailed(str(error)) from None

    return run(unit)


def _at(text: str | None, settings: Settings) -> datetime | None:
    """--at: ISO 8601, with an offset or in the firm's time zone."""
    if text is None:
        return None
    moment = start_time(text, settings.firm.timezone)
    if moment is None:
        fail(_("“{at}” is not a time: write ISO 8601, such as 2026-12-01T09:30 (in the firm's time zone, {zone}) "
               "or 2026-12-01T09:30+08:00.").format(at=text[:40], zone=settings.firm.timezone))
    return moment


@campaign_app.command("create", help=N_("Create a draft campaign: a survey or a strategy message, to an audience."))
def create(
    kind: Annotated[str, typer.Option("--kind", metavar="survey|strategy", show_default=False,
                                      help=N_("survey (templates/surveys) or strategy (templates/strategies)."))],
    template: Annotated[str, typer.Option("--template", metavar="ID", show_default=False, help=N_(
        "The template's id: its file's name without .toml."))],
    audience: Annotated[str, typer.Option("--audience", metavar="EXPRESSION", show_default=False, help=N_(
        "Who it is for, e.g. “tier=mid lifecycle=growth locale=zh_Hans”, or “all” (see docs/campaigns.md)."))],
    at: Annotated[str | None, typer.Option("--at", metavar="TIME", show_default=False, help=N_(
        "Send nothing before this time: ISO 8601, with an offset or in the firm's time zone (a date alone is "
        "midnight there); a client whose clock is then in quiet hours gets it when they end."))] = None,
    database: DatabaseOption = None,
) -> None:
    settings = get_settings()
    if kind not in _KINDS:
        fail(_("The kind must be survey or strategy, not “{kind}”.").format(kind=kind[:40]))
    not_before = _at(at, settings)

    async def work(session: AsyncSession) -> CampaignView:
        return await create_campaign(session, kind=_KINDS[kind], template=template, audience=audience,
                                     not_before=not_before, created_by="cli", now=datetime.now(UTC),
                                     rules=load_rules(settings.firm.rules_file))

    campaign = _unit(database, settings, work)
    out.print(_("{title}: created, a draft.").format(title=_title(campaign)), markup=False)
    if campaign.not_before is not None:
        out.print(_("Nothing is sent before {moment}.").format(moment=_moment(campaign.not_before)), markup=False)
    out.print(_("See who it reaches with “{preview}”, then start it with “{start}”.").format(
        preview=command_line("campaign", "preview", str(campaign.id)),
        start=command_line("campaign", "start", str(campaign.id))), markup=False)


def _print_samples(samples: list[CampaignSample]) -> None:
    for sample in samples:
        out.print()
        out.print(_("What {client} would read, in {language}:").format(
            client=sample.client_id, language=language_name(sample.locale)), markup=False)
        out.print(plain(sample.rendered.text), markup=False)
        markup = sample.rendered.reply_markup
        for row in markup.inline_keyboard if markup is not None else []:
            out.print("  " + "  ".join(f"[{button.text}]" for button in row), markup=False)


def _print_preview(preview: Preview, samples: list[CampaignSample], settings: Settings) -> None:
    rules = load_rules(settings.firm.rules_file)
    out.print(ngettext("{title}: a start now reaches {count} client.", "{title}: a start now reaches {count} clients.",
                       preview.recipients).format(title=_title(preview.campaign), count=number(preview.recipients)),
              markup=False)
    if preview.recipients:
        locales, tiers = preview.locales(), preview.tiers(rules)

        def name(tier: str) -> str:
            return tier_name(rules, tier) if rules.rank(tier) is not None else tier

        table = Table(_("tier"), *(language_name(locale) for locale in locales), _("all"), show_edge=False)
        for tier in tiers:
            counts = [preview.by_tier_locale.get((tier, locale), 0) for locale in locales]
            table.add_row(name(tier), *(number(count) for count in counts), number(sum(counts)))
        table.add_row(_("all"), *(number(sum(n for (_t, reads), n in preview.by_tier_locale.items()
                                             if reads == locale)) for locale in locales), number(preview.recipients))
        out.print(table)
    _print_exclusions(preview.exclusions, settings)
    _print_samples(samples)
    out.print()
    out.print(_("Preview: nothing was written or sent."))


@campaign_app.command("preview", help=N_(
    "Show who a draft would reach now: by tier and language, who is left out and why, and what each language's "
    "readers would read; write nothing."))
def preview(campaign: IdArgument, database: DatabaseOption = None) -> None:
    settings, campaign_id = get_settings(), _campaign_id(campaign)

    async def work(session: AsyncSession) -> tuple[Preview, list[CampaignSample]]:
        found = await preview_campaign(session, campaign_id, settings=settings, now=datetime.now(UTC),
                                       rules=load_rules(settings.firm.rules_file))
        from bot.runtime import campaign_samples  # imported here: see bot.cli's docstring

        return found, await campaign_samples(session, found)

    _print_preview(*_unit(database, settings, work), settings)


@campaign_app.command("start", help=N_(
    "Start a draft: one message per recipient is queued, in one transaction, for the sender to send."))
def start(campaign: IdArgument, database: DatabaseOption = None) -> None:
    settings, campaign_id = get_settings(), _campaign_id(campaign)

    async def work(session: AsyncSession) -> Started:
        return await start_campaign(session, campaign_id, settings=settings, now=datetime.now(UTC),
                                    rules=load_rules(settings.firm.rules_file))

    started = _unit(database, settings, work)
    out.print(ngettext("{title}: started, {count} message queued, one per recipient.",
                       "{title}: started, {count} messages queued, one per recipient.", started.recipients).format(
        title=_title(started.campaign), count=number(started.recipients)), markup=False)
    _print_exclusions(started.exclusions, settings)
    if started.held and started.first_send is not None:
        out.print(ngettext("{count} message waits for its time (--at, or the quiet hours on its recipient's "
                           "clock); the first goes at {moment}.",
                           "{count} messages wait for their time (--at, or the quiet hours on their recipients' "
                           "clocks); the first goes at {moment}.", started.held).format(
            count=number(started.held), moment=_moment(started.first_send)), markup=False)
    out.print(_("The sender (“tierbot send”, or “tierbot run”) sends them within Telegram's limits."))


@campaign_app.command("pause", help=N_("Hold a running campaign's messages until it is resumed."))
def pause(campaign: IdArgument, database: DatabaseOption = None) -> None:
    campaign_id = _campaign_id(campaign)
    paused = _unit(database, get_settings(), lambda session: pause_campaign(session, campaign_id))
    out.print(_("{title}: paused; the sender sends none of its messages until it is resumed.").format(
        title=_title(paused)), markup=False)


@campaign_app.command("resume", help=N_("Send a paused campaign's messages again."))
def resume(campaign: IdArgument, database: DatabaseOption = None) -> None:
    campaign_id = _campaign_id(campaign)
    resumed = _unit(database, get_settings(), lambda session: resume_campaign(session, campaign_id))
    out.print(_("{title}: running again.").format(title=_title(resumed)), markup=False)


@campaign_app.command("close", help=N_("Close a campaign: nothing more is sent, and a survey takes no more answers."))
def close(campaign: IdArgument, database: DatabaseOption = None) -> None:
    campaign_id = _campaign_id(campaign)

    async def work(session: AsyncSession) -> Closed:
        return await close_campaign(session, campaign_id, now=datetime.now(UTC))

    closed = _unit(database, get_settings(), work)
    out.print(ngettext("{title}: closed; {count} message not sent yet will not be.",
                       "{title}: closed; {count} messages not sent yet will not be.", closed.stopped).format(
        title=_title(closed.campaign), count=number(closed.stopped)), markup=False)
    if closed.campaign.kind is CampaignKind.SURVEY:
        out.print(_("The survey takes no more answers."))


def _state(campaign: CampaignView) -> str:
    if campaign.status is CampaignStatus.DRAFT:
        return _("a draft, created {moment}").format(moment=_moment(campaign.created_at))
    if campaign.started_at is None:  # a draft closed before it was started
        return _("closed {closed} without being started").format(
            closed=_moment(campaign.closed_at or campaign.created_at))
    started = _moment(campaign.started_at)
    if campaign.status is CampaignStatus.CLOSED and campaign.closed_at is not None:
        return _("started {started}, closed {closed}").format(started=started, closed=_moment(campaign.closed_at))
    if campaign.status is CampaignStatus.PAUSED:
        return _("paused (started {started})").format(started=started)
    return _("running since {started}").format(started=started)


def _print_progress(progress: Progress, settings: Settings) -> None:
    campaign = progress.campaign
    out.print(_("{title}: {state}.").format(title=_title(campaign), state=_state(campaign)), markup=False)
    if campaign.status is CampaignStatus.DRAFT:
        return
    count = progress.by_status.get
    out.print(_("Recipients: {recipients}. Delivered: {delivered} ({rate}).").format(
        recipients=number(progress.recipients), delivered=number(progress.delivered),
        rate=_percent(progress.delivered_rate)))
    out.print(_("Waiting: {pending} ({held} not due yet). Being sent: {sending}.").format(
        pending=number(count(OutboxStatus.PENDING, 0)), held=number(progress.held),
        sending=number(count(OutboxStatus.SENDING, 0))))
    out.print(_("Unreachable: {unreachable}. Failed: {failed}. Unknown, perhaps delivered: {unknown}. Not sent "
                "(nothing left to say, or closed first): {not_sent}.").format(
        unreachable=number(count(OutboxStatus.UNREACHABLE, 0)), failed=number(count(OutboxStatus.FAILED, 0)),
        unknown=number(count(OutboxStatus.UNKNOWN, 0)), not_sent=number(progress.not_sent)))
    if progress.answered is not None:
        out.print(_("Answered: {answered} of {delivered} delivered ({rate}).").format(
            answered=number(progress.answered), delivered=number(progress.delivered),
            rate=_percent(progress.response_rate)))
    if progress.last_sent_at is not None:
        out.print(_("Last sent {moment}.").format(moment=_moment(progress.last_sent_at)), markup=False)
    if progress.paused:
        out.print(_("Paused: the sender sends none of its messages until it is resumed."))
    if campaign.exclusions is not None:
        _print_exclusions(campaign.exclusions, settings)


@campaign_app.command("status", help=N_("Show how a campaign is going: its messages by how they ended, and its "
                                        "rates."))
def status(campaign: IdArgument, database: DatabaseOption = None) -> None:
    settings, campaign_id = get_settings(), _campaign_id(campaign)

    async def work(session: AsyncSession) -> Progress:
        return await campaign_status(session, campaign_id, now=datetime.now(UTC))

    _print_progress(_unit(database, settings, work), settings)


@campaign_app.command("list", help=N_("List the campaigns, the newest first."))
def list_all(database: DatabaseOption = None) -> None:
    campaigns = _unit(database, get_settings(), list_campaigns)
    if not campaigns:
        out.print(_("No campaign yet: “tierbot campaign create” makes one."))
        return
    zone = get_settings().firm.timezone

    def short(moment: datetime | None) -> str:  # unambiguous in every market: 2026-12-07 10:00
        return "-" if moment is None else format_datetime(moment, "yyyy-MM-dd HH:mm", tzinfo=ZoneInfo(zone))

    # Ids and templates whole, the rest folded to fit: a campaign's row reads at 80 columns.
    table = Table(show_edge=False)
    table.add_column(_("id"), no_wrap=True)
    table.add_column(_("kind"))
    table.add_column(_("template"), no_wrap=True)
    for header in (_("status"), _("audience"), _("created"), _("started")):
        table.add_column(header, overflow="fold")
    for campaign in campaigns:
        table.add_row(str(campaign.id), _named(kind=campaign.kind), campaign.template, _named(status=campaign.status),
                      campaign.audience, short(campaign.created_at), short(campaign.started_at))
    out.print(table)
    out.print(_("Times in the firm's time zone, {zone}.").format(zone=zone), markup=False)

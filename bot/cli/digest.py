"""`tierbot digest`: queue the digests of alerts that waited (an adviser bound since the run that raised them), or
with --dry-run show every adviser the digest the sender would send them next, writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from bot.alerts import DigestSchedule, DigestsQueued, queue_digests
from bot.cli.accounts import when
from bot.cli.common import DatabaseOption, number, open_database, out, run
from bot.cli.help import N_
from bot.config import get_settings
from bot.i18n import gettext as _
from bot.i18n import ngettext, plain
from bot.i18n.vocabulary import language_name

if TYPE_CHECKING:
    from bot.runtime import DigestPreview

__all__ = ["print_queued", "register"]


def print_queued(queued: DigestsQueued) -> None:
    """How many digests were queued, and how many alerts wait for advisers the bot cannot reach."""
    out.print(ngettext("Queued {count} adviser digest.", "Queued {count} adviser digests.", queued.digests)
              .format(count=number(queued.digests)))
    if queued.waiting:
        out.print(ngettext(
            "{count} alert waits for an adviser the bot cannot reach (not bound in Telegram yet: “tierbot invite "
            "adviser ID”; or they blocked the bot); it goes into their next digest.",
            "{count} alerts wait for advisers the bot cannot reach (not bound in Telegram yet: “tierbot invite "
            "adviser ID”; or they blocked the bot); each goes into its adviser's next digest.", queued.waiting)
            .format(count=number(queued.waiting)))


def _print_preview(preview: DigestPreview, now: datetime) -> None:
    state = (_("in the outbox") if preview.outbox_id is not None
             else _("to be queued by “tierbot digest” or the next scoring run"))
    going = _("goes at once") if preview.not_before <= now else _("held until {moment}").format(
        moment=when(preview.not_before))
    out.print(_("To adviser {adviser} (Telegram account {account}), in {language}: {state}, {going}.").format(
        adviser=preview.adviser_id or "?", account=preview.telegram_user_id, language=language_name(preview.locale),
        state=state, going=going), markup=False)
    if preview.rendered is None:
        out.print(_("Nothing left to say (its clients are no longer the adviser's): nothing would be sent."))
    else:
        out.print(plain(preview.rendered.text), markup=False)
        markup = preview.rendered.reply_markup
        for row in markup.inline_keyboard if markup is not None else []:
            for button in row:
                out.print(f"  [{button.text}]", markup=False)
    out.print()


def digest(
    dry_run: Annotated[bool, typer.Option("--dry-run", help=N_(
        "Show each adviser the digest the sender would send next, in their language; write nothing."))] = False,
    database: DatabaseOption = None,
) -> None:
    """Queue the digests of alerts that waited, or show what the sender would send next (--dry-run)."""
    from bot.runtime import preview_digests  # imported here: see bot.cli's docstring

    settings = get_settings()
    now = datetime.now(UTC)

    async def queue() -> DigestsQueued:
        async with open_database(database) as engine, engine.begin() as connection:
            return await queue_digests(connection, schedule=DigestSchedule.from_settings(settings), now=now)

    async def preview() -> list[DigestPreview]:
        async with open_database(database) as engine:
            return await preview_digests(engine, settings, now=now)

    if not dry_run:
        print_queued(run(queue))
        return
    previews = run(preview)
    if not previews:
        out.print(_("Nothing to send: no digest waits in the outbox, and no adviser bound in Telegram has alerts "
                    "waiting."))
    else:
        out.print(ngettext("The sender would send {count} digest next:", "The sender would send {count} digests next:",
                           len(previews)).format(count=number(len(previews))))
        out.print()
        for item in previews:
            _print_preview(item, now)
    out.print(_("Dry run: nothing was written or sent."))


def register(app: typer.Typer) -> None:
    app.command("digest", help=N_("Queue advisers' digests of alerts that waited; with --dry-run, show the digests "
                                  "the sender would send next."))(digest)

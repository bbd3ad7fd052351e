"""`tierbot send`: the outbox's sender, until stopped or (--once) until nothing is due, and what it did."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import CommandFailed, DatabaseOption, number, open_database, out, run
from bot.cli.help import N_
from bot.config import get_settings
from bot.i18n import gettext as _
from bot.i18n import ngettext

if TYPE_CHECKING:
    from bot.delivery.sender import Tally

__all__ = ["print_tally", "register"]

_STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _ids(ids: list[int]) -> str:
    return ", ".join(str(outbox_id) for outbox_id in ids)


def print_tally(tally: Tally) -> None:
    """What a run of the sender did, in the CLI's language: the endings, then what an operator should look at."""
    out.print(_("Sent: {sent}. Unreachable: {unreachable}. Failed: {failed}. Unknown: {unknown}.").format(
        sent=number(tally.sent), unreachable=number(tally.unreachable), failed=number(tally.failed),
        unknown=number(len(tally.unknown))))
    if tally.nothing_to_say:
        out.print(ngettext("{count} message had nothing left to say and was not sent.",
                           "{count} messages had nothing left to say and were not sent.", tally.nothing_to_say)
                  .format(count=number(tally.nothing_to_say)))
    if tally.unknown:
        out.print(_("Unknown, perhaps delivered, not sent again: messages {ids} (see docs/delivery.md).").format(
            ids=_ids(tally.unknown)))
    if tally.abandoned:
        out.print(_("A sender stopped before marking messages {ids}: they are reported unknown and not sent "
                    "again.").format(ids=_ids(tally.abandoned)))
    if tally.released:
        out.print(ngettext("Stopped: {count} message claimed but not begun is pending again.",
                           "Stopped: {count} messages claimed but not begun are pending again.", tally.released)
                  .format(count=number(tally.released)))


def send(
    once: Annotated[bool, typer.Option("--once", help=N_("Send what is due, then stop."))] = False,
    database: DatabaseOption = None,
) -> None:
    """Send the outbox's messages within Telegram's limits until stopped (SIGTERM, Ctrl-C), or with --once until
    none is due."""
    from bot.runtime import BotApiFailure, MissingToken, run_sender  # imported here: see bot.cli's docstring

    settings = get_settings()
    logging.getLogger("tierbot").setLevel(logging.INFO)

    async def work() -> Tally:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stopping in _STOPPING_SIGNALS:
            loop.add_signal_handler(stopping, stop.set)
        try:
            async with open_database(database) as engine:
                return await run_sender(engine, settings, once=once, stop=stop)
        except MissingToken:
            raise CommandFailed(
                _("TIERBOT_TELEGRAM_TOKEN is not set: the bot needs its token from @BotFather.")) from None
        except BotApiFailure as failure:
            raise CommandFailed(str(failure)) from None
        finally:
            for stopping in _STOPPING_SIGNALS:
                loop.remove_signal_handler(stopping)

    print_tally(run(work))


def register(app: typer.Typer) -> None:
    app.command("send", help=N_("Send the outbox's messages (alert digests) within Telegram's limits, until stopped; "
                                "with --once, until none is due."))(send)

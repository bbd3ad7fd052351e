"""Commands that chat: `run` (the bot, by long polling) and `console` (a chat in this terminal)."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from bot.cli.accounts import ADMIN_ID
from bot.cli.common import CommandFailed, DatabaseOption, fail, open_database, out, run
from bot.cli.help import N_
from bot.config import get_settings
from bot.i18n import gettext as _
from bot.scoring import count_clients

__all__ = ["chat_in_console", "register"]


def run_command(database: DatabaseOption = None) -> None:
    """The bot, by long polling; a Bot API it cannot use with these settings is one sentence."""
    from bot.runtime import BotApiFailure, MissingToken, run_polling  # imported here: see bot.cli's docstring

    settings = get_settings()
    logging.getLogger("tierbot").setLevel(logging.INFO)
    logging.getLogger("aiogram").setLevel(logging.INFO)

    async def work() -> None:
        async with open_database(database) as engine:
            try:
                await run_polling(engine, settings)
            except MissingToken:
                raise CommandFailed(
                    _("TIERBOT_TELEGRAM_TOKEN is not set: the bot needs its token from @BotFather.")) from None
            except BotApiFailure as failure:
                raise CommandFailed(str(failure)) from None

    run(work)


def chat_in_console(database: str | None, target_id: str, *, admin: bool = False) -> None:
    """Chat as the client or adviser `target_id`, or with `admin` as the admin the operator calls `target_id`."""
    from bot.runtime import UnknownPerson, console_chat, create_dispatcher  # imported here: see bot.cli's docstring

    settings = get_settings()
    terminal = sys.stdin.isatty()

    def read() -> str | None:
        try:
            if terminal:
                return input("> ")
            line = sys.stdin.readline()  # "" at the end of the input; "\n" for a blank line, which goes on
            return line.removesuffix("\n") if line else None
        except (EOFError, KeyboardInterrupt):
            return None

    async def work() -> None:
        async with open_database(database) as engine:
            dispatcher = create_dispatcher(engine, settings, rate_limit=False)
            intro = _("Chatting as {id}. Type a message, the number of a button or the letter of a menu button; "
                      "/quit ends.").format(id=target_id)
            try:
                await console_chat(engine, dispatcher, target_id, read=read, intro=intro, admin=admin,
                                   show=lambda line: out.print(line, markup=False))
            except UnknownPerson:
                if not await count_clients(engine):
                    raise CommandFailed(_("The database has no clients yet: import the firm's data first "
                                          "(tierbot import PATH).")) from None
                raise CommandFailed(
                    _("There is no client or adviser with the id {id}.").format(id=target_id)) from None

    run(work)


def console(
    as_id: Annotated[str | None, typer.Option(
        "--as", help=N_("The client's or adviser's id to chat as."), metavar="ID", show_default=False)] = None,
    admin_id: Annotated[str | None, typer.Option(
        "--admin", metavar="ID", show_default=False,
        help=N_("Chat as an admin instead, the one with this id, such as a staff number (kept in the audit log, so "
                "not a name), as given to “tierbot invite admin ID”."))] = None,
    database: DatabaseOption = None,
) -> None:
    """Chat with the bot in this terminal as a client, adviser or admin, without Telegram."""
    if as_id is not None and admin_id is None:
        chat_in_console(database, as_id)
    elif admin_id is not None and as_id is None:
        if not ADMIN_ID.fullmatch(admin_id):
            fail(_("An admin is given by an id for them, such as a staff number or an address (letters, digits and "
                   "“._@-”, no spaces): it is kept in the audit log, where names are not."))
        chat_in_console(database, admin_id, admin=True)
    else:
        fail(_("Give --as with a client's or adviser's id, or --admin with an admin's id, one of the two."))


def register(app: typer.Typer) -> None:
    app.command("run", help=N_("Run the bot: poll the Bot API (TIERBOT_TELEGRAM_API) and answer until stopped."))(
        run_command)
    app.command("console", help=N_("Chat with the bot in this terminal as a client, adviser or admin, without "
                                   "Telegram."))(console)

"""`tierbot invite`: a single-use invite link that binds a Telegram account to a client, adviser or admin."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import aiohttp
import typer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from babel.dates import format_datetime

from bot.accounts import INVITE_TTL, IssuedInvite, Role, UnknownTarget, create_invite
from bot.cli.common import CommandFailed, DatabaseOption, fail, open_database, out, run
from bot.config import Settings, get_settings
from bot.db import session_factory, unit_of_work
from bot.i18n import gettext as _
from bot.runtime import create_bot

__all__ = ["register"]

INVITE_ROLES = {"client": Role.CLIENT, "adviser": Role.ADVISER, "admin": Role.ADMIN}


async def _bot_username(settings: Settings) -> str | None:
    """The bot's username, from the settings or from the Bot API (getMe); None when neither can tell."""
    if settings.telegram.username:
        return settings.telegram.username
    if settings.telegram.token is None:
        return None
    bot = create_bot(settings)
    try:
        return (await bot.me()).username
    except (aiohttp.ClientError, TelegramNetworkError, TimeoutError) as error:  # TelegramAPIError's subclass first
        raise CommandFailed(_("Cannot reach the Bot API at {url} ({reason}).").format(
            url=settings.telegram.api, reason=type(error).__name__)) from None
    except TelegramAPIError as error:
        raise CommandFailed(_("The Bot API did not accept the bot token ({reason}).").format(
            reason=error.message)) from None
    finally:
        await bot.session.close()


def invite(
    role: Annotated[str, typer.Argument(help="client, adviser or admin.", metavar="ROLE")],
    target_id: Annotated[str, typer.Argument(help="The client's or adviser's id; for an admin, who they are "
                                                  "(kept in the audit log).", metavar="ID")],
    days: Annotated[int, typer.Option(min=1, max=30, help="Days before the invite expires.")] = INVITE_TTL.days,
    database: DatabaseOption = None,
) -> None:
    """Make a single-use invite link that binds a Telegram account to a client, adviser or admin."""
    if role not in INVITE_ROLES:
        fail(_("The role must be client, adviser or admin, not “{role}”.").format(role=role))
    settings = get_settings()

    async def work() -> tuple[IssuedInvite, str | None]:
        username = await _bot_username(settings)  # first: a Bot API failure must not leave a token no one saw
        async with open_database(database) as engine, unit_of_work(session_factory(engine), commit=True) as command:
            try:
                issued = await create_invite(
                    command.session, INVITE_ROLES[role], None if role == "admin" else target_id,
                    created_by="cli" if role != "admin" else f"cli:{target_id}", ttl=timedelta(days=days))
            except UnknownTarget:
                missing = (_("There is no client with the id {id}.") if role == "client"
                           else _("There is no adviser with the id {id}."))
                raise CommandFailed(missing.format(id=target_id)) from None
        return issued, username

    issued, username = run(work)
    when = format_datetime(issued.expires_at, format="medium", locale=settings.firm.default_locale)
    if username:
        out.print(_("Invite link (single use, expires {when}):").format(when=when))
        out.print(f"https://t.me/{username}?start={issued.token}", markup=False)
    else:
        out.print(_("Set TIERBOT_TELEGRAM_TOKEN (or TIERBOT_TELEGRAM_USERNAME) to get the invite link; the token alone "
                    "works with “/start TOKEN”. It expires {when}.").format(when=when))
    out.print(_("Token: {token}").format(token=issued.token), markup=False)


def register(app: typer.Typer) -> None:
    app.command("invite")(invite)

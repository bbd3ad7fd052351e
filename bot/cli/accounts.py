"""`tierbot invite`: single-use invite links that bind Telegram accounts to clients, advisers or admins; one, or one
per id of a file."""

from __future__ import annotations

import csv
import math
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from babel import Locale
from babel.dates import format_date, format_datetime, format_time

from bot.accounts import INVITE_TTL, INVITE_TTL_RANGE, IssuedInvite, Role, UnknownTarget, create_invite, create_invites
from bot.cli.common import CommandFailed, DatabaseOption, err, fail, number, open_database, out, run
from bot.cli.help import N_
from bot.config import Settings, get_settings
from bot.db import session_factory, unit_of_work
from bot.i18n import gettext as _
from bot.i18n import ngettext

__all__ = ["ADMIN_ID", "register", "when"]

INVITE_ROLES = {"client": Role.CLIENT, "adviser": Role.ADVISER, "admin": Role.ADMIN}
_ID_COLUMNS = {Role.CLIENT: "client_id", Role.ADVISER: "adviser_id"}
# What an admin's invite keeps of who they are, in the audit log: an id, never a name.
ADMIN_ID = re.compile(r"[A-Za-z0-9._@-]{1,48}")
# A first line naming a column ("id", "customer_id") rather than being one of the ids.
_LOOKS_LIKE_A_HEADER = re.compile(r"(?i)(.*[_ ])?id")


def when(moment: datetime, zone: str | None = None) -> str:
    """A moment for the operator: in the time zone `zone` (else this machine's), which is shown, in the CLI's
    locale."""
    locale = get_settings().firm.default_locale
    local = moment.astimezone(ZoneInfo(zone) if zone else None)
    zone = format_datetime(local, "z", tzinfo=local.tzinfo, locale=locale)
    time = f"{format_time(local, 'short', tzinfo=local.tzinfo, locale=locale)} {zone}"
    pattern: str = Locale.parse(locale).datetime_formats["medium"]  # "{1}, {0}": the date, then the time
    return pattern.format(time, format_date(local, "medium", locale=locale))


async def _bot_username(settings: Settings) -> str | None:
    """The bot's username, from the settings or from the Bot API (getMe); None when neither can tell."""
    if settings.telegram.username:
        return settings.telegram.username
    from bot.runtime import BotApiFailure, MissingToken, open_bot  # imported here: see bot.cli's docstring

    try:
        async with open_bot(settings) as bot:
            return (await bot.me()).username
    except MissingToken:
        return None
    except BotApiFailure as failure:
        raise CommandFailed(str(failure)) from None


def _lifetime(days: float | None, hours: float | None) -> timedelta:
    if days is not None and hours is not None:
        fail(_("Give --days or --hours, not both."))
    if days is None and hours is None:
        return INVITE_TTL
    least, most = INVITE_TTL_RANGE
    asked = hours if hours is not None else days * 24  # type: ignore[operator]
    # Compared as hours before any timedelta is made: "nan" and "1e12" are one sentence, not a traceback.
    if not (math.isfinite(asked) and least / timedelta(hours=1) <= asked <= most / timedelta(hours=1)):
        fail(_("An invite lasts at least an hour and at most {days} days.").format(days=most.days))
    return timedelta(hours=asked)


def _ids_of(path: Path, role: Role) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, id) for each id of the file: one per line, or the role's id column (client_id, adviser_id) of a
    CSV with a header; and (line, problem) for each id repeated. Blank lines are skipped."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except OSError as error:
        fail(_("Cannot read {path} ({reason}).").format(path=path, reason=error.strerror))
    except UnicodeDecodeError:
        fail(_("{path} is not UTF-8 text.").format(path=path))
    column = _ID_COLUMNS[role]
    header = [cell.strip() for cell in rows[0]] if rows else []
    if column in header:
        index, first = header.index(column), 2
    elif any(";" in cell for cell in header):
        fail(_("{path} looks semicolon-separated: save it comma-separated (CSV UTF-8), with a {column} column or "
               "one id a line.").format(path=path, column=column))
    elif len(header) > 1 or (header and _LOOKS_LIKE_A_HEADER.fullmatch(header[0])):
        fail(_("{path} has no {column} column.").format(path=path, column=column))
    else:
        index, first = 0, 1
    ids: dict[str, int] = {}
    repeated: list[tuple[int, str]] = []
    for line, row in enumerate(rows[first - 1:], start=first):
        target = row[index].strip() if len(row) > index else ""
        if target in ids:
            repeated.append((line, _("{id} is already on line {first}.").format(id=target, first=ids[target])))
        elif target:
            ids[target] = line
    return [(line, target) for target, line in ids.items()], repeated


def _line(issued: IssuedInvite, username: str | None) -> str:
    link = f"https://t.me/{username}?start={issued.token}" if username else issued.token
    return f"{issued.target_id}\t{link}\t{when(issued.expires_at)}"


def invite(
    role: Annotated[str, typer.Argument(help=N_("client, adviser or admin."), metavar="ROLE")],
    target_id: Annotated[str | None, typer.Argument(
        help=N_("The client's or adviser's id; for an admin, an id for them such as their staff number (kept in the "
                "audit log, so not their name)."),
        metavar="ID", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", metavar="FILE",
        help=N_("A file of client or adviser ids, one per line or in a client_id or adviser_id column: an invite "
                "for each, one per line (id, link or token, expiry), or none if an id is unknown or repeated."),
    )] = None,
    days: Annotated[float | None, typer.Option(
        metavar="DAYS", help=N_("Days before the invite expires (default 7; a fraction is fine)."))] = None,
    hours: Annotated[float | None, typer.Option(
        metavar="HOURS", help=N_("Hours before the invite expires, instead of --days."))] = None,
    database: DatabaseOption = None,
) -> None:
    """One invite for ID, or one for each id of --file, all or none."""
    if role not in INVITE_ROLES:
        fail(_("The role must be client, adviser or admin, not “{role}”.").format(role=role))
    if role == "admin" and target_id is not None and not ADMIN_ID.fullmatch(target_id):
        fail(_("An admin is invited by an id for them, such as a staff number or an address (letters, digits and "
               "“._@-”, no spaces): it is kept in the audit log, where names are not."))
    ttl = _lifetime(days, hours)
    if (target_id is None) == (file is None):
        fail(_("Give an id or --file, one of the two."))
    if file is not None and INVITE_ROLES[role] is Role.ADMIN:
        fail(_("--file invites clients or advisers; invite admins one at a time."))
    wanted, repeated = ([(0, target_id)], []) if target_id is not None else _ids_of(file, INVITE_ROLES[role])  # type: ignore[arg-type]
    if not wanted:
        fail(_("{path} holds no ids.").format(path=file))
    settings = get_settings()

    async def work() -> tuple[list[IssuedInvite], str | None]:
        username = await _bot_username(settings)  # first: a Bot API failure must not leave a token no one saw
        async with open_database(database) as engine, unit_of_work(session_factory(engine), commit=True) as command:
            if role == "admin":
                return [await create_invite(command.session, Role.ADMIN, None, created_by=f"cli:{target_id}",
                                            ttl=ttl)], username
            missing = (_("There is no client with the id {id}.") if role == "client"
                       else _("There is no adviser with the id {id}."))
            try:
                issued = await create_invites(command.session, INVITE_ROLES[role], [i for _, i in wanted],
                                              created_by="cli", ttl=ttl)
                unknown: tuple[str | None, ...] = ()
            except UnknownTarget as refused:
                if file is None:
                    raise CommandFailed(missing.format(id=target_id)) from None
                unknown = refused.ids
            faults = sorted([*repeated, *((line, missing.format(id=target)) for line, target in wanted
                                          if target in unknown)])
            if faults:  # every line at fault at once; the invites made so far are rolled back with the command
                assert file is not None
                for line, problem in faults:
                    err.print(f"{file.name}:{line}: {problem}", markup=False)
                raise CommandFailed(ngettext("One line at fault; no invite was made.",
                                             "{count} lines at fault; no invite was made.", len(faults)).format(
                    count=number(len(faults))))
            return issued, username

    issued, username = run(work)
    if file is not None:
        for each in issued:
            typer.echo(_line(each, username))  # tab-separated, as printed (rich would expand the tabs)
        return
    expires = when(issued[0].expires_at)
    if username:
        out.print(_("Invite link (single use, expires {when}):").format(when=expires))
        out.print(f"https://t.me/{username}?start={issued[0].token}", markup=False)
    else:
        out.print(_("Set TIERBOT_TELEGRAM_TOKEN (or TIERBOT_TELEGRAM_USERNAME) to get the invite link; the token alone "
                    "works with “/start TOKEN”. It expires {when}.").format(when=expires))
    out.print(_("Token: {token}").format(token=issued[0].token), markup=False)


def register(app: typer.Typer) -> None:
    app.command("invite", help=N_("Make single-use invite links that bind Telegram accounts to clients, advisers "
                                  "or admins."))(invite)

"""`tierbot db upgrade`: the database schema."""

from __future__ import annotations

import typer

from bot.cli.common import DatabaseOption, open_database, out, run
from bot.cli.help import N_
from bot.db.migrate import current_revision, upgrade
from bot.i18n import gettext as _

__all__ = ["db_app"]

db_app = typer.Typer(help=N_("The database schema."), no_args_is_help=True)


@db_app.command("upgrade", help=N_("Create the database schema, or upgrade it to the newest version."))
def db_upgrade(database: DatabaseOption = None) -> None:
    """Create the database schema, or upgrade it to the newest version."""

    async def work() -> tuple[str | None, str | None]:
        async with open_database(database, create=True) as engine:
            before = await current_revision(engine)
            await upgrade(engine)
            return before, await current_revision(engine)

    before, after = run(work)
    if before is None:
        out.print(_("Created the database schema (revision {revision}).").format(revision=after))
    elif before != after:
        out.print(_("Upgraded the database schema from revision {before} to {after}.").format(
            before=before, after=after))
    else:
        out.print(_("The database schema is already up to date (revision {revision}).").format(revision=after))

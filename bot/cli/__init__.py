"""The `tierbot` command line (also `python -m bot`), one module per group of commands."""

from __future__ import annotations

import gc
import logging
from importlib.metadata import version
from typing import Annotated

import typer

from bot.cli import (
    accounts,
    campaign_report,  # noqa: F401  (its commands join campaign_app as it is imported)
    chat,
    data,
    delivery,
    digest,
    scoring,
)
from bot.cli.campaign import campaign_app
from bot.cli.common import err
from bot.cli.database import db_app
from bot.cli.faq import faq_app
from bot.cli.help import N_, TierbotGroup
from bot.config import InvalidSettings, SettingProblem, get_settings
from bot.i18n import Catalogs
from bot.i18n import gettext as _

__all__ = ["app", "main"]

app = typer.Typer(
    cls=TierbotGroup,
    help=N_("tierbot: client tiers for a wealth-management firm, in Telegram."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
for group in (data, scoring, digest, accounts, chat, delivery):
    group.register(app)
app.add_typer(faq_app, name="faq")
app.add_typer(campaign_app, name="campaign")


def _show_version(shown: bool) -> None:
    if shown:
        typer.echo(f"tierbot {version('tierbot')}")
        raise typer.Exit


@app.callback()
def _options(
    _version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                           help=N_("Show the version of tierbot and exit."))] = False,
) -> None:
    pass


def _sentence(problem: SettingProblem) -> str:
    if problem.allowed:
        return _("{variable} is not valid: use {values}.").format(
            variable=problem.variable, values=", ".join(problem.allowed))
    return _("{variable} is not valid ({reason}).").format(variable=problem.variable, reason=problem.reason)


def main() -> None:
    # Startup leaves hundreds of thousands of long-lived objects (aiogram's types, SQLAlchemy's mappings):
    # frozen, the collector stops rescanning them on every full collection while a batch runs.
    gc.freeze()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except InvalidSettings as invalid:
        # In English: the settings at fault may be the language.
        with Catalogs("en").activated():
            for problem in invalid.problems:
                err.print(_sentence(problem), style="red", markup=False)
        raise SystemExit(1) from None
    with Catalogs(settings.firm.default_locale).activated():
        app()

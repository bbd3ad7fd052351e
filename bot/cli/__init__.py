"""The `tierbot` command line (also `python -m bot`), one module per group of commands."""

from __future__ import annotations

import gc
import logging

import typer

from bot.cli import accounts, chat, data, scoring
from bot.cli.database import db_app
from bot.cli.faq import faq_app
from bot.config import get_settings
from bot.i18n import Catalogs

__all__ = ["app", "main"]

app = typer.Typer(
    help="tierbot: client tiers for a wealth-management firm, in Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
for group in (data, scoring, accounts, chat):
    group.register(app)
app.add_typer(faq_app, name="faq")


def main() -> None:
    # Startup leaves hundreds of thousands of long-lived objects (aiogram's types, SQLAlchemy's mappings):
    # frozen, the collector stops rescanning them on every full collection while a batch runs.
    gc.freeze()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with Catalogs(get_settings().firm.default_locale).activated():
        app()

"""`tierbot campaign ...`: surveys and strategy messages pushed to an audience of clients."""

from __future__ import annotations

import typer

from bot.cli.help import N_

__all__ = ["campaign_app"]

campaign_app = typer.Typer(help=N_("Campaigns: surveys and strategy messages pushed to an audience of clients."),
                           no_args_is_help=True)

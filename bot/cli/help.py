"""`--help` as people read it: in the language the CLI speaks, flags without a value placeholder, an option's value
by its metavar, an argument by its name.

Typer reads help strings when the commands are declared, before the catalogs are active; they are marked with
`N_` (so that extraction puts them in the catalogs) and translated here, when Typer builds the click commands
inside `Catalogs.activated()`. Typer shows a type beside every parameter ("--dry-run <bool>", "ROLE <str>") and
offers no setting for it: the parameters and commands are given subclasses that show what is typed instead.
Typer's own words (the "Usage", "Options", "Arguments" and "Commands" headers, "[required]", "[default: …]") come
from its own gettext domain, read when typer is imported, and stay in English.
"""

from __future__ import annotations

from typing import Any

import typer.rich_utils
from rich.text import Text
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from bot.i18n import gettext
from bot.i18n.vocabulary import N_

__all__ = ["N_", "TierbotGroup"]

HELP_OPTION = N_("Show this message and exit.")

_make_rich_text = typer.rich_utils._make_rich_text


def _folding_text(**kwargs: Any) -> Any:
    """Typer's help text, folded where a line has no space to wrap at: Chinese has none, and the options panel
    would cut such a sentence off with "…"."""
    text = _make_rich_text(**kwargs)
    if isinstance(text, Text):
        text.overflow = "fold"
    return text


typer.rich_utils._make_rich_text = _folding_text


def _translated(text: str | None) -> str | None:
    return gettext(text) if text else text


class _Argument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the metavar (ROLE, ID) says it

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"


class _Option(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None
        if self.metavar:
            return self.metavar
        formats = self.type_descriptor.parameter_info.formats if self.type_descriptor.is_datetime else None
        if formats:  # "%Y-%m-%d" -> YYYY-MM-DD
            return "|".join(f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for f in formats)
        return (self.name or "value").upper()


def _adopt_param(param: Any) -> None:
    if isinstance(param, TyperArgument):
        param.__class__ = _Argument
    elif isinstance(param, TyperOption):
        param.__class__ = _Option
    param.help = _translated(getattr(param, "help", None))


def _help_option(option: TyperOption | None) -> TyperOption | None:
    """The help option of a command, once click makes it: shown as the others, translated."""
    if option is not None and not isinstance(option, _Option):
        _adopt_param(option)
        option.help = gettext(HELP_OPTION)
    return option


class _Command(TyperCommand):
    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _help_option(super().get_help_option(ctx))


class TierbotGroup(TyperGroup):
    """The root group (`typer.Typer(cls=TierbotGroup)`): the whole tree of commands in the CLI's language, shown
    as typed. Typer builds it anew for each run, inside the catalogs that main() activates."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _adopt(self)

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _help_option(super().get_help_option(ctx))


def _adopt(command: Any) -> None:
    command.help = _translated(command.help)
    command.short_help = _translated(command.short_help)
    for param in command.params:
        _adopt_param(param)
    if isinstance(command, TyperGroup):
        command.__class__ = TierbotGroup
        for child in command.commands.values():
            _adopt(child)
    elif isinstance(command, TyperCommand):
        command.__class__ = _Command

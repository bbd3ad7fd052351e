"""`tierbot faq match`: which FAQ entry a question matches, and how surely (for content editors)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import fail, out
from bot.cli.help import N_
from bot.faq import FaqError, default_faq
from bot.i18n import gettext as _
from bot.i18n import resolve_locale

__all__ = ["faq_app"]

faq_app = typer.Typer(help=N_("The FAQ content."), no_args_is_help=True)


@faq_app.command("match", help=N_("Show which FAQ entry a question matches, and how surely (for content editors)."))
def faq_match(
    text: Annotated[str, typer.Argument(help=N_("A question as a client would write it."), metavar="TEXT")],
    locale: Annotated[str, typer.Option(metavar="LOCALE", help=N_(
        "The reader's locale (en, zh-hans, zh-hant, zh-hk, ...); the answer's language."))] = "en",
) -> None:
    resolved = resolve_locale(locale)
    if resolved is None:
        fail(_("Unknown locale “{locale}”: use en, zh-hans or zh-hant.").format(locale=locale))
    try:
        faq = default_faq()
    except FaqError as error:
        fail(str(error))
    match = faq.match(text)
    if match.entry_id is not None:
        out.print(_("{id}  score {score}  “{title}”").format(
            id=match.entry_id, score=f"{match.score:.3f}", title=faq.title(match.entry_id, resolved)), markup=False)
    else:
        out.print(_("No confident match (best score {score}).").format(score=f"{match.score:.3f}"))
    for entry_id, score in match.closest:
        out.print(f"  {entry_id}  {score:.3f}", markup=False)

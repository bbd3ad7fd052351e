"""The FAQ's content: one TOML file an entry under `templates/faq/` (the format is in docs/faq.md), read and
checked, a file that cannot be used refused with one sentence naming the file and the key."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from bot.faq.lexicon import normalize
from bot.i18n import LOCALES
from bot.i18n.sources import check_template, template_variables
from bot.resources import TEMPLATES_DIR

__all__ = ["FAQ_DIR", "TITLE_MAX_CHARS", "FaqEntry", "FaqError", "load_entries"]

FAQ_DIR: Final = TEMPLATES_DIR / "faq"
TITLE_MAX_CHARS: Final = 40

# Up to 32 characters, so that callback data ("faq:<id>") keeps well within Telegram's 64 bytes.
_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LOCALE_KEYS: Final = ("title", "questions", "answer")
_ANSWER_VARIABLES: Final = frozenset({"contact", "me", "role", "rules"})


class FaqError(ValueError):
    """An FAQ file that cannot be used; the message is one sentence naming the file and the key."""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One `<id>.toml`: per locale of `bot.i18n.LOCALES`, a title (a button label), the questions clients ask it
    by, and an answer: Jinja2 source of Telegram HTML, for `bot.i18n.rendering.render_string(answer, me=...,
    rules=..., role=...)`.

    An answer knows `rules` (the `tiering.TierRules` in force: every line, window and grace is written as an
    expression of it, so that the answers follow the rules file), the environment's globals (`tier_name`,
    `segment_name`...), `role` ("client", "adviser", "admin", or None for a Telegram account linked to no one)
    and `me` (the reader's `bot.standing.ReaderFigures` for a linked client whose tier has been worked out,
    else None). So an answer tells the readers without `me` apart by `role`, and tells only `role` None to get
    an invitation link. `contact` is a linked client's `bot.accounts.AdviserContact` (their adviser's name, phone
    and email, or none when they have no adviser now, `left` when theirs has left the firm), else None.

    `uses` names the variables of those four that some locale's answer uses, so that only those are read.
    """

    id: str
    titles: Mapping[str, str]
    questions: Mapping[str, tuple[str, ...]]
    answers: Mapping[str, str]
    order: int = 0
    uses: frozenset[str] = _ANSWER_VARIABLES


def _unknown_key(source: Path, key: str, known: Iterable[str]) -> FaqError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return FaqError(f'{source}: unknown key "{key}"{hint}')


def _text(source: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise FaqError(f"{source}: {key}: must be text, not {type(value).__name__}")
    if not value.strip():
        raise FaqError(f"{source}: {key}: must not be empty")
    return value.strip()


def _answer(source: Path, key: str, value: object) -> tuple[str, frozenset[str]]:
    """The answer's source, and the answer variables it uses."""
    text = _text(source, key, value)
    problem = check_template(text, _ANSWER_VARIABLES)
    if problem is not None:
        raise FaqError(f"{source}: {key}: {problem}")
    return text, template_variables(text) & _ANSWER_VARIABLES


def _questions(source: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise FaqError(f"{source}: {key}: must be a list of one question or more")
    questions = tuple(_text(source, f"{key}[{i}]", q) for i, q in enumerate(value))
    for i, question in enumerate(questions):
        if not normalize(question):
            raise FaqError(f"{source}: {key}[{i}]: has no words")
    return questions


def _entry(source: Path) -> FaqEntry:
    entry_id = source.stem
    if not _ID.fullmatch(entry_id):
        raise FaqError(f"{source}: the file name must be an entry id: up to 32 lowercase letters, digits and _")
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FaqError(f"{source}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise FaqError(f"{source}: not valid TOML: {error}") from None
    for key in document:
        if key != "order" and key not in LOCALES:
            raise _unknown_key(source, key, ("order", *LOCALES))
    order = document.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        raise FaqError(f"{source}: order: must be a whole number")
    titles: dict[str, str] = {}
    questions: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    uses: set[str] = set()
    for locale in LOCALES:
        table = document.get(locale)
        if table is None:
            raise FaqError(f"{source}: {locale}: is required (every entry has every locale: {', '.join(LOCALES)})")
        if not isinstance(table, dict):
            raise FaqError(f"{source}: {locale}: must be a table ([{locale}])")
        for key in table:
            if key not in _LOCALE_KEYS:
                raise _unknown_key(source, f"{locale}.{key}", (f"{locale}.{k}" for k in _LOCALE_KEYS))
        for key in _LOCALE_KEYS:
            if key not in table:
                raise FaqError(f"{source}: {locale}.{key}: is required")
        titles[locale] = _text(source, f"{locale}.title", table["title"])
        if len(titles[locale]) > TITLE_MAX_CHARS:
            raise FaqError(f"{source}: {locale}.title: must be at most {TITLE_MAX_CHARS} characters")
        questions[locale] = _questions(source, f"{locale}.questions", table["questions"])
        answers[locale], used = _answer(source, f"{locale}.answer", table["answer"])
        uses |= used
    return FaqEntry(
        id=entry_id,
        titles=MappingProxyType(titles),
        questions=MappingProxyType(questions),
        answers=MappingProxyType(answers),
        order=order,
        uses=frozenset(uses),
    )


def _sources(directory: Path) -> Iterator[Path]:
    if not directory.is_dir():
        raise FaqError(f"{directory}: no such FAQ folder")
    yield from sorted(directory.glob("*.toml"))


def load_entries(directory: Path) -> list[FaqEntry]:
    """The entries of every `<id>.toml` of `directory`, checked; FaqError on the first file that cannot be used."""
    entries: dict[str, FaqEntry] = {}
    asked: dict[str, tuple[str, Path]] = {}  # a normalised question -> its entry and file
    for source in _sources(directory):
        entry = _entry(source)
        if entry.id in entries:
            raise FaqError(f"{source}: duplicate entry id {entry.id!r}")
        entries[entry.id] = entry
        for locale in LOCALES:
            for i, question in enumerate(entry.questions[locale]):
                key = normalize(question).replace(" ", "")
                if key in asked and asked[key][0] != entry.id:
                    other, where = asked[key]
                    raise FaqError(f"{source}: {locale}.questions[{i}]: {where.name} ({other}) asks the same")
                asked.setdefault(key, (entry.id, source))
    if not entries:
        raise FaqError(f"{directory}: no FAQ entries (<id>.toml files)")
    return list(entries.values())

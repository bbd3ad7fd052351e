"""What campaigns send, as data: one TOML file a survey under `templates/surveys/` and one a strategy message under
`templates/strategies/` (the format is in docs/campaigns.md), read and checked; a file that cannot be used is refused
with one sentence naming the file and the key, and a text missing in one locale is such a file.

A survey has questions on the scales of the survey standards (NPS 0-10, CSAT 1-5, CES 1-7), each with the words
of its two ends and, optionally, a "why?" asked after the rating. A strategy message serves one strategy of the
method (`tiering.STRATEGIES`) and may name products of the shelf: it then goes only to clients whose valid risk
assessment covers every product it names.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, Final, NoReturn

from bot.db.models import CampaignKind, SurveyScale
from bot.i18n import LOCALES
from bot.i18n import gettext as _
from bot.i18n.sources import check_template
from bot.resources import TEMPLATES_DIR
from tiering import RANKING, STRATEGIES, Recommendation, require_risk_assessment

__all__ = ["STRATEGIES_DIR", "STRATEGY_VARIABLES", "SURVEYS_DIR", "ContentError", "Question", "ShelfItem",
           "StrategyMessage", "Survey", "load_strategy", "load_survey", "load_template", "needs_valid_assessment",
           "template_ids"]

SURVEYS_DIR: Final = TEMPLATES_DIR / "surveys"
STRATEGIES_DIR: Final = TEMPLATES_DIR / "strategies"

# Up to 32 characters: a template id and a question id travel in callback data, within Telegram's 64 bytes.
_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
# What a strategy message's body may use: the client's name, their adviser (`bot.accounts.AdviserContact`, or
# None), and the products it names, as `ShelfItem`s in the file's order.
STRATEGY_VARIABLES: Final = frozenset({"client_name", "adviser", "products"})
# The strategies a message may serve: those the method gives a segment (`tiering.STRATEGIES`), most urgent first.
_STRATEGIES: Final = tuple(s for s in RANKING if any(s in served for served in STRATEGIES.values()))


class ContentError(ValueError):
    """A survey or strategy file that cannot be used; the message is one sentence naming the file and the key."""


@dataclass(frozen=True, slots=True)
class Question:
    """One rated question: its text and the words of the two ends of its scale, per locale, and the optional
    "why?" asked after the rating (None: no comment is asked)."""

    id: str
    scale: SurveyScale
    texts: Mapping[str, str]
    low: Mapping[str, str]  # what the lowest rating means ("Not at all likely")
    high: Mapping[str, str]  # what the highest means ("Extremely likely")
    comment: Mapping[str, str] | None = None

    @property
    def bounds(self) -> tuple[int, int]:
        return self.scale.bounds


@dataclass(frozen=True, slots=True)
class Survey:
    """A survey of `templates/surveys/<id>.toml`: a title and an introduction per locale, and its questions in the
    order they are asked. `digest` is the SHA-256 of the file: the version its recipients were shown."""

    id: str
    titles: Mapping[str, str]
    intros: Mapping[str, str]
    questions: tuple[Question, ...]
    digest: str

    kind: ClassVar[CampaignKind] = CampaignKind.SURVEY

    def question(self, index: int) -> Question | None:
        return self.questions[index] if 0 <= index < len(self.questions) else None


@dataclass(frozen=True, slots=True)
class ShelfItem:
    """A product a strategy message names, as its body shows it: the name in the reader's language."""

    id: str
    name: str
    category: str
    risk_level: int  # R1..R5 as 1..5
    min_investment: Decimal | None


@dataclass(frozen=True, slots=True)
class StrategyMessage:
    """A strategy message of `templates/strategies/<id>.toml`: the method's strategy it serves, the shelf's products
    it names (their ids), and per locale a title (for operators' lists) and a body, Jinja2 source of Telegram HTML
    rendered with `STRATEGY_VARIABLES` by `bot.i18n.render_string`."""

    id: str
    strategy: str
    products: tuple[str, ...]
    titles: Mapping[str, str]
    bodies: Mapping[str, str]
    digest: str

    kind: ClassVar[CampaignKind] = CampaignKind.STRATEGY


def _directory(kind: CampaignKind) -> Path:
    return SURVEYS_DIR if kind is CampaignKind.SURVEY else STRATEGIES_DIR


def needs_valid_assessment(message: StrategyMessage) -> bool:
    """`message` goes only to a client with a valid risk assessment: it names products, or serves a strategy the
    engine recommends no client without one (what `tiering.require_risk_assessment` drops). The one rule of the
    audience (`audience.exclusions_for`) and of the send (`messages.unsuitable`)."""
    kept = require_risk_assessment((Recommendation(message.strategy),), "missing")
    return bool(message.products) or message.strategy not in {recommendation.id for recommendation in kept}


def template_ids(kind: CampaignKind, directory: Path | None = None) -> list[str]:
    """The ids of the templates of `kind` there are (the file names without .toml), sorted."""
    folder = directory or _directory(kind)
    return sorted(path.stem for path in folder.glob("*.toml")) if folder.is_dir() else []


def load_template(kind: CampaignKind, template_id: str, directory: Path | None = None) -> Survey | StrategyMessage:
    """The survey or strategy message `template_id`, checked; ContentError when there is no such template (naming
    the ones there are) or its file cannot be used."""
    folder = directory or _directory(kind)
    source = folder / f"{template_id}.toml"
    if not _ID.fullmatch(template_id) or not source.is_file():
        known = template_ids(kind, folder)
        what = _("There is no survey “{id}”") if kind is CampaignKind.SURVEY else _(
            "There is no strategy message “{id}”")
        _raise(what.format(id=template_id[:40]) + _hint(template_id, known) + _("; there are: {known}.").format(
            known=", ".join(known) or "-"))
    data = source.read_bytes()
    return _parse(kind, source, data, hashlib.sha256(data).hexdigest())


def load_survey(template_id: str, directory: Path | None = None) -> Survey:
    survey = load_template(CampaignKind.SURVEY, template_id, directory)
    assert isinstance(survey, Survey)
    return survey


def load_strategy(template_id: str, directory: Path | None = None) -> StrategyMessage:
    message = load_template(CampaignKind.STRATEGY, template_id, directory)
    assert isinstance(message, StrategyMessage)
    return message


@cache
def _parse(kind: CampaignKind, source: Path, data: bytes, digest: str) -> Survey | StrategyMessage:
    """Parsed once per content: the digest is in the key, so an edited file is read again."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        _raise(_("{file}: not UTF-8 text.").format(file=source))
    except tomllib.TOMLDecodeError as error:
        _raise(_("{file}: not valid TOML ({error}).").format(file=source, error=error))
    reader = _Reader(source, document)
    if kind is CampaignKind.SURVEY:
        return reader.survey(digest)
    return reader.strategy(digest)


def _raise(message: str) -> NoReturn:
    raise ContentError(message)


def _hint(word: str, known: Iterable[str]) -> str:
    """" (did you mean “x”?)" for the closest of `known` to a mistyped `word`, or nothing."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return _(" (did you mean “{close}”?)").format(close=close[0]) if close else ""


class _Reader:
    """Reads one file's document, refusing the first key it cannot use."""

    def __init__(self, source: Path, document: dict[str, Any]) -> None:
        self.source, self.document = source, document

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ContentError(_("{file}: {key}: {problem}.").format(file=self.source, key=key, problem=problem))

    def only(self, table: Mapping[str, Any], where: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                self.fail(f"{where}{key}", _("is not a key of this file{hint}").format(hint=_hint(key, allowed)))

    def text(self, table: Mapping[str, Any], key: str, where: str) -> str:
        if key not in table:
            self.fail(f"{where}{key}", _("is missing (every text is given in every locale: {locales})")
                             .format(locales=", ".join(LOCALES)))
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}{key}", _("must be text that is not empty"))
        return value.strip()

    def locale_tables(self) -> dict[str, Mapping[str, Any]]:
        tables: dict[str, Mapping[str, Any]] = {}
        for locale in LOCALES:
            table = self.document.get(locale)
            if not isinstance(table, dict):
                self.fail(locale, _("is missing or not a table: every locale ({locales}) has its [{locale}] table")
                          .format(locales=", ".join(LOCALES), locale=locale))
            tables[locale] = table
        return tables

    def survey(self, digest: str) -> Survey:
        self.only(self.document, "", ("questions", *LOCALES))
        specs = self.document.get("questions")
        if not isinstance(specs, list) or not specs:
            self.fail("questions", _("must list one question or more"))
        questions_spec: list[tuple[str, SurveyScale, bool]] = []
        for number, spec in enumerate(specs):
            where = f"questions[{number}]."
            if not isinstance(spec, dict):
                self.fail(f"questions[{number}]",
                          _("must be a table such as {{ id = \"recommend\", scale = \"nps\" }}"))
            self.only(spec, where, ("id", "scale", "comment"))
            question_id = spec.get("id")
            if not isinstance(question_id, str) or not _ID.fullmatch(question_id):
                self.fail(f"{where}id", _("must be an id: up to 32 lowercase letters, digits and _"))
            if question_id in (q for q, _s, _c in questions_spec):
                self.fail(f"{where}id", _("names a question asked before"))
            try:
                scale = SurveyScale(str(spec.get("scale")))
            except ValueError:
                self.fail(f"{where}scale", _("must be one of {scales}").format(
                    scales=", ".join(s.value for s in SurveyScale)))
            comment = spec.get("comment", False)
            if not isinstance(comment, bool):
                self.fail(f"{where}comment", _("must be true or false"))
            questions_spec.append((question_id, scale, comment))
        tables = self.locale_tables()
        titles, intros = {}, {}
        texts: dict[str, dict[str, str]] = {q: {} for q, _s, _c in questions_spec}
        lows: dict[str, dict[str, str]] = {q: {} for q, _s, _c in questions_spec}
        highs: dict[str, dict[str, str]] = {q: {} for q, _s, _c in questions_spec}
        comments: dict[str, dict[str, str]] = {q: {} for q, _s, _c in questions_spec}
        for locale, table in tables.items():
            self.only(table, f"{locale}.", ("title", "intro", "questions"))
            titles[locale] = self.text(table, "title", f"{locale}.")
            intros[locale] = self.text(table, "intro", f"{locale}.")
            words = table.get("questions")
            if not isinstance(words, dict):
                self.fail(f"{locale}.questions", _("is missing or not a table of the questions' texts"))
            self.only(words, f"{locale}.questions.", texts)
            for question_id, _scale, comment in questions_spec:
                where = f"{locale}.questions.{question_id}."
                table_of = words.get(question_id)
                if not isinstance(table_of, dict):
                    self.fail(f"{locale}.questions.{question_id}", _(
                        "is missing (every question is given in every locale: {locales})").format(
                        locales=", ".join(LOCALES)))
                if "comment" in table_of and not comment:
                    self.fail(f"{where}comment", _("is given, but the question asks for no comment (set comment = "
                                                   "true for it in questions)"))
                self.only(table_of, where, ("text", "low", "high", "comment"))
                texts[question_id][locale] = self.text(table_of, "text", where)
                lows[question_id][locale] = self.text(table_of, "low", where)
                highs[question_id][locale] = self.text(table_of, "high", where)
                if comment:
                    comments[question_id][locale] = self.text(table_of, "comment", where)
        questions = tuple(
            Question(q, scale, MappingProxyType(texts[q]), MappingProxyType(lows[q]), MappingProxyType(highs[q]),
                     MappingProxyType(comments[q]) if comment else None)
            for q, scale, comment in questions_spec)
        return Survey(self.source.stem, MappingProxyType(titles), MappingProxyType(intros), questions, digest)

    def strategy(self, digest: str) -> StrategyMessage:
        self.only(self.document, "", ("strategy", "products", *LOCALES))
        strategy = self.document.get("strategy")
        if strategy not in _STRATEGIES:
            hint = _hint(str(strategy), _STRATEGIES)
            if hint:
                self.fail("strategy", _("must be one of the method's strategies{hint}").format(hint=hint))
            self.fail("strategy", _("must be one of the method's strategies: {known}").format(
                known=", ".join(_STRATEGIES)))
        products = self.document.get("products", [])
        if not isinstance(products, list) or not all(isinstance(p, str) and p for p in products):
            self.fail("products", _("must be a list of product ids of the shelf"))
        if len(set(products)) != len(products):
            self.fail("products", _("names a product twice"))
        titles, bodies = {}, {}
        for locale, table in self.locale_tables().items():
            self.only(table, f"{locale}.", ("title", "body"))
            titles[locale] = self.text(table, "title", f"{locale}.")
            bodies[locale] = self.body(self.text(table, "body", f"{locale}."), f"{locale}.body")
        return StrategyMessage(self.source.stem, str(strategy), tuple(products), MappingProxyType(titles),
                               MappingProxyType(bodies), digest)

    def body(self, text: str, key: str) -> str:
        problem = check_template(text, STRATEGY_VARIABLES)
        if problem is not None:
            self.fail(key, problem)
        return text

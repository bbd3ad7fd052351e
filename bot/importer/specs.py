"""What each data file holds: its columns, how each cell is read, its natural key and what it refers to.

A cell parser returns the value for the database or raises CellError with a sentence for the operator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from babel.numbers import is_currency
from sqlalchemy import Table

from bot.config import get_settings, is_time_zone
from bot.db import models
from bot.i18n import LOCALES, resolve_locale
from bot.i18n import gettext as _


class CellError(ValueError):
    """A cell that cannot be read; the message says what is wrong with it."""


Parser = Callable[[str], Any]

MAX_MONEY = Decimal("1e16")
# Data from a few hours "in the future" is a timezone difference, not an error.
_CLOCK_SLACK = timedelta(days=1)


def parse_id(raw: str) -> str:
    if not models.RECORD_ID.fullmatch(raw):
        raise CellError(_("“{value}” is not an id: use up to 32 letters, digits, “_”, “.” or “-”").format(
            value=raw[:40]))
    return raw


def parse_text(raw: str) -> str:
    if len(raw) > 200:
        raise CellError(_("longer than 200 characters"))
    return raw


def parse_short_text(raw: str) -> str:
    if len(raw) > 32:
        raise CellError(_("longer than 32 characters"))
    return raw.lower()


_PHONE = re.compile(r"\+?[0-9 ()\-]+")
_PHONE_DIGITS = 3
# One "@", no spaces, a dot in the domain between non-empty labels: a plausible address, not RFC 5322.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
MAX_EMAIL = 254


def parse_phone(raw: str) -> str:
    """As written ("+86 21 6888 8888", "400-820-8888"): digits, spaces, "-" and parentheses, "+" first."""
    if len(raw) > 32 or not _PHONE.fullmatch(raw) or sum(c.isdigit() for c in raw) < _PHONE_DIGITS:
        raise CellError(_(
            "“{value}” is not a phone number: use digits, spaces, “+”, “-” and parentheses, up to 32 characters, "
            "e.g. +86 21 6888 8888").format(value=raw[:40]))
    return raw


def parse_email(raw: str) -> str:
    if len(raw) > MAX_EMAIL:
        raise CellError(_("longer than {limit} characters").format(limit=MAX_EMAIL))
    if not _EMAIL.fullmatch(raw):
        raise CellError(_("“{value}” is not an email address: write one address, e.g. li.wang@example.com").format(
            value=raw[:40]))
    return raw


def parse_locale(raw: str) -> str:
    locale = resolve_locale(raw)
    if locale is None:
        raise CellError(_("unknown language “{value}”: use one of {allowed}").format(
            value=raw[:40], allowed=", ".join(LOCALES)))
    return locale


def parse_time_zone(raw: str) -> str:
    """An IANA time zone, as the tz database spells it ("Asia/Shanghai")."""
    if len(raw) > 64 or not is_time_zone(raw):
        raise CellError(_("“{value}” is not a time zone: use an IANA name such as Asia/Shanghai, Asia/Hong_Kong or "
                          "Europe/London").format(value=raw[:40]))
    return raw


def _now() -> datetime:
    return datetime.now(UTC)


def parse_date(raw: str) -> date:
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise CellError(_("“{value}” is not a date: use YYYY-MM-DD").format(value=raw[:40])) from None
    if value > (_now() + _CLOCK_SLACK).date():
        raise CellError(_("{value} is in the future").format(value=value.isoformat()))
    return value


def parse_timestamp(raw: str) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise CellError(
            _("“{value}” is not a date and time: use ISO 8601, e.g. 2024-03-01T09:30:00Z").format(
                value=raw[:40])) from None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value > _now() + _CLOCK_SLACK:
        raise CellError(_("{value} is in the future").format(value=raw))
    return value


def parse_money(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise CellError(
            _("“{value}” is not an amount: write a decimal number such as 1234.56").format(
                value=raw[:40])) from None
    if not value.is_finite() or abs(value) >= MAX_MONEY:
        raise CellError(_("“{value}” is not an amount: write a decimal number such as 1234.56").format(
            value=raw[:40]))
    if value < 0:
        raise CellError(_("{value} is negative; amounts here are never below zero").format(value=raw))
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CellError(_("{value} has more than 2 decimal places").format(value=raw))
    return value


def parse_currency(raw: str) -> str:
    """An ISO 4217 code, any case ("usd" is USD)."""
    code = raw.upper()
    if len(code) != 3 or not is_currency(code):
        raise CellError(_("“{value}” is not a currency: use an ISO 4217 code such as CNY, HKD or USD").format(
            value=raw[:40]))
    return code


MAX_RATE = Decimal("1e6")


def parse_rate(raw: str) -> Decimal:
    """What one unit of a currency is worth in the base currency: positive, up to 8 decimal places."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 < value < MAX_RATE:
        raise CellError(_("“{value}” is not a rate: write what one unit of the currency is worth in the base "
                          "currency, a positive number such as 7.1234").format(value=raw[:40]))
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        raise CellError(_("{value} has more than 8 decimal places").format(value=raw))
    return value


def parse_positive_money(raw: str) -> Decimal:
    value = parse_money(raw)
    if value == 0:
        raise CellError(_("a transaction of 0 moves nothing"))
    return value


_FLAGS: Final = {"true": True, "yes": True, "y": True, "1": True, "是": True,
                 "false": False, "no": False, "n": False, "0": False, "否": False}


def parse_flag(raw: str) -> bool:
    """A yes/no cell: true/false, yes/no, 1/0 (or 是/否)."""
    value = _FLAGS.get(raw.strip().lower())
    if value is None:
        raise CellError(_("“{value}” is not yes or no: write true or false").format(value=raw[:40]))
    return value


def _level_parser(prefix: str) -> Parser:
    def parse(raw: str) -> int:
        text = raw.upper()
        if len(text) == 2 and text[0] == prefix and text[1] in "12345":
            return int(text[1])
        raise CellError(_("“{value}” is not a risk level: use {first} to {last}").format(
            value=raw[:40], first=f"{prefix}1", last=f"{prefix}5"))

    return parse


def _choice_parser(allowed: tuple[str, ...]) -> Parser:
    def parse(raw: str) -> str:
        value = raw.lower()
        if value not in allowed:
            raise CellError(_("“{value}” is not one of {allowed}").format(
                value=raw[:40], allowed=", ".join(allowed)))
        return value

    return parse


@dataclass(frozen=True)
class Column:
    name: str
    parse: Parser
    required: bool = True
    # The entity whose natural key this column names, checked after all rows are read.
    refers_to: str | None = None


@dataclass(frozen=True)
class EntitySpec:
    name: str
    table: Table
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Rules across the cells of one row; return a sentence per problem as (column, message).
    row_rules: tuple[Callable[[dict[str, Any]], tuple[str, str] | None], ...] = field(default=())
    # Amounts in a `currency` column, converted at the rates of the month of this date column: each currency
    # other than the base needs a rate in fx_rates for that month.
    converted_on: str | None = None

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _assessment_needs_level(row: dict[str, Any]) -> tuple[str, str] | None:
    if (row.get("risk_level") is None) != (row.get("risk_assessed_on") is None):
        return "risk_level", _("risk_level and risk_assessed_on go together: give both or neither")
    return None


def _rate_of_another_currency(row: dict[str, Any]) -> tuple[str, str] | None:
    base = get_settings().firm.base_currency
    if row.get("currency") == base:
        return "currency", _("{currency} is the base currency: its rate is always 1, so it takes no row").format(
            currency=base)
    return None


CATEGORIES = tuple(c.value for c in models.ProductCategory)
TRANSACTION_KINDS = tuple(k.value for k in models.TransactionKind)

# In dependency order: a file may refer only to the ones before it.
ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "advisers",
        models.Adviser.__table__,  # type: ignore[arg-type]
        (
            Column("adviser_id", parse_id),
            Column("name", parse_text),
            Column("locale", parse_locale, required=False),
            Column("left_on", parse_date, required=False),
            Column("phone", parse_phone, required=False),
            Column("email", parse_email, required=False),
            Column("timezone", parse_time_zone, required=False),
        ),
        key=("adviser_id",),
    ),
    EntitySpec(
        "products",
        models.Product.__table__,  # type: ignore[arg-type]
        (
            Column("product_id", parse_id),
            Column("name_en", parse_text),
            Column("name_zh", parse_text),
            Column("name_zh_hant", parse_text, required=False),
            Column("category", _choice_parser(CATEGORIES)),
            Column("risk_level", _level_parser("R")),
            Column("min_investment", parse_money, required=False),
        ),
        key=("product_id",),
    ),
    EntitySpec(
        "fx_rates",
        models.FxRate.__table__,  # type: ignore[arg-type]
        (
            Column("date", parse_date),
            Column("currency", parse_currency),
            Column("rate", parse_rate),
        ),
        key=("currency", "date"),
        row_rules=(_rate_of_another_currency,),
    ),
    EntitySpec(
        "clients",
        models.Client.__table__,  # type: ignore[arg-type]
        (
            Column("client_id", parse_id),
            Column("name", parse_text),
            Column("adviser_id", parse_id, refers_to="advisers"),
            Column("onboarded_on", parse_date),
            Column("locale", parse_locale, required=False),
            Column("risk_level", _level_parser("C"), required=False),
            Column("risk_assessed_on", parse_date, required=False),
            Column("timezone", parse_time_zone, required=False),
            Column("complaint_open", parse_flag, required=False),
        ),
        key=("client_id",),
        row_rules=(_assessment_needs_level,),
    ),
    EntitySpec(
        "balances",
        models.Balance.__table__,  # type: ignore[arg-type]
        (
            Column("client_id", parse_id, refers_to="clients"),
            Column("product_id", parse_id, refers_to="products"),
            Column("as_of", parse_date),
            Column("amount", parse_money),
            Column("currency", parse_currency, required=False),
        ),
        key=("client_id", "product_id", "as_of"),
        converted_on="as_of",
    ),
    EntitySpec(
        "transactions",
        models.Transaction.__table__,  # type: ignore[arg-type]
        (
            Column("client_id", parse_id, refers_to="clients"),
            Column("product_id", parse_id, refers_to="products"),
            Column("at", parse_timestamp),
            Column("kind", _choice_parser(TRANSACTION_KINDS)),
            Column("amount", parse_positive_money),
            Column("currency", parse_currency, required=False),
        ),
        key=("client_id", "product_id", "at", "kind"),
        converted_on="at",
    ),
    EntitySpec(
        "interactions",
        models.Interaction.__table__,  # type: ignore[arg-type]
        (
            Column("client_id", parse_id, refers_to="clients"),
            Column("at", parse_timestamp),
            Column("channel", parse_short_text),
            Column("kind", parse_short_text, required=False),
        ),
        key=("client_id", "at", "channel"),
    ),
)

ENTITIES_BY_NAME = {spec.name: spec for spec in ENTITIES}

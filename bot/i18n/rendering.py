"""Every sentence a person reads: Jinja2 templates under `templates/`, translated with gettext, in HTML.

Templates render in the current locale (`bot.i18n.use_locale`); the filters format money, numbers, percentages,
dates and moments with Babel for that same locale, and lay out monospace tables (`table`). Output is Telegram HTML:
autoescaped, so a name holding "<b>" shows as typed.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    parse_pattern,
)
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from bot.config import get_settings, zone_or
from bot.i18n.catalogs import current_locale, current_zone, gettext, ngettext
from bot.i18n.tables import text_table
from bot.i18n.vocabulary import category_name, dimension_name, language_name, product_name, segment_name, tier_name
from bot.resources import TEMPLATES_DIR

__all__ = ["environment", "format_money", "render", "render_string"]


# Parsed once: Babel parses a locale named by a string, and a pattern given as text, on every call, and a summary
# formats a few dozen figures (a Chinese locale's parse costs the most).
@cache
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


def _reader_locale() -> Locale:
    return _babel_locale(current_locale())


@cache
def _decimals(digits: int) -> NumberPattern:
    return parse_pattern(f"#,##0.{'#' * digits}" if digits else "#,##0")


@cache
def _percent(digits: int) -> NumberPattern:
    return parse_pattern(f"#,##0.{'0' * digits}%" if digits else "#,##0%")


# A whole amount from here up is written without cents ("CN¥500,000", a threshold); others with them.
ROUND_FROM: Final = 1_000
# 万 and 亿 (ten thousand, a hundred million), as each script writes them, for TIERBOT_MONEY_CHINESE_UNITS.
_CHINESE_UNITS: Final = {"zh_Hans": ((10**8, "亿"), (10**4, "万")), "zh_Hant": ((10**8, "億"), (10**4, "萬"))}


@cache
def _whole_pattern(locale: str) -> NumberPattern:
    """The locale's currency pattern without its fraction digits."""
    pattern = parse_pattern(_babel_locale(locale).currency_formats["standard"].pattern)
    pattern.frac_prec = (0, 0)
    return pattern


def format_money(amount: Decimal | int | float, currency: str | None = None, *, cents: bool | None = None) -> str:
    """An amount in the base currency (or `currency`) as the reader writes it: "CN¥320,000.50", "HK$1,200.00";
    whole amounts from ROUND_FROM up without cents ("CN¥500,000") unless `cents` says otherwise. The base currency
    is written as the firm's settings say (TIERBOT_MONEY_STYLE, _LABEL, _CHINESE_UNITS)."""
    firm = get_settings().firm
    code = currency or firm.base_currency
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    whole = not cents if cents is not None else value == value.to_integral_value() and abs(value) >= ROUND_FROM
    locale = current_locale()
    if code == firm.base_currency:
        units = _CHINESE_UNITS.get(locale) if firm.money_chinese_units and whole else None
        # 50万元, 12.5万元, 3亿元, in the largest unit, where 4 of its decimals say the amount exactly (not 1.2346亿元).
        scale, unit = next(((scale, unit) for scale, unit in units or () if abs(value) >= scale), (0, ""))
        if scale and value * 10**4 % scale == 0:
            return f"{format_number(value / scale, 4)}{unit}元"
        label = firm.money_label or (code if firm.money_style == "code" else None)
        if label is not None:
            return _labelled(value, label, locale, 0 if whole else get_currency_precision(code))
    if whole:
        return format_currency(value, code, format=_whole_pattern(locale), currency_digits=False,
                               locale=_babel_locale(locale))
    return format_currency(value, code, locale=_babel_locale(locale))


def _labelled(value: Decimal, label: str, locale: str, digits: int) -> str:
    """`value` with the firm's own sign or code for the base currency where the locale writes its symbol, and
    `digits` decimals: "RMB 500,000" (a space after letters), "¥500,000", "-RMB 1,234.50"."""
    pattern = _whole_pattern(locale)
    negative = int(value < 0)
    prefix, suffix = pattern.prefix[negative], pattern.suffix[negative]
    number = format_decimal(abs(value), format=_fixed(digits), locale=_babel_locale(locale))
    spaced = label[-1].isalpha()
    return (prefix.replace("¤", f"{label}\u00a0" if spaced else label) + number
            + suffix.replace("¤", f"\u00a0{label}" if spaced and suffix.startswith("¤") else label))


@cache
def _fixed(digits: int) -> NumberPattern:
    return parse_pattern(f"#,##0.{'0' * digits}" if digits else "#,##0")


def format_number(value: Decimal | int | float, digits: int | None = None) -> str:
    """With `digits`, rounded to at most that many decimals, and no trailing zeros: 2.0 reads "2"."""
    if digits is not None:
        return format_decimal(value, format=_decimals(digits), locale=_reader_locale())
    return format_decimal(value, locale=_reader_locale())


def format_ratio(value: float, digits: int = 0) -> str:
    """A ratio (0.25) as a percentage ("25%")."""
    return format_percent(value, format=_percent(digits), locale=_reader_locale())


def _reader_zone(zone: str | None = None) -> ZoneInfo:
    """`zone`, else the reader's (`bot.i18n.use_zone`), else the firm's."""
    return zone_or(zone or current_zone(), get_settings().firm.timezone)


def format_day(value: date) -> str:
    """A day as the reader writes it; a moment's day on the reader's clock."""
    if isinstance(value, datetime):
        value = value.astimezone(_reader_zone()).date()
    return format_date(value, format="medium", locale=_reader_locale())


def format_moment(at: datetime, zone: str | None = None) -> str:
    """A moment as the reader writes a date and a time, on the clock of `zone`, else the reader's own."""
    locale = current_locale()
    local = at.astimezone(_reader_zone(zone))
    pattern: str = Locale.parse(locale).datetime_formats["medium"]  # "{1}, {0}": the date, then the time
    return pattern.format(format_time(local, "short", tzinfo=local.tzinfo, locale=locale),
                          format_date(local, "medium", locale=locale))


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    # Extraction trims (pyproject.toml), so rendering must too, or the msgids would not match.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(money=format_money, number=format_number, percent=format_ratio, day=format_day,
                       moment=format_moment, table=text_table)
    env.globals.update(tier_name=tier_name, dimension_name=dimension_name, segment_name=segment_name,
                       category_name=category_name, language_name=language_name, locale=current_locale,
                       product=lambda p: product_name(p.name_en, p.name_zh, p.name_zh_hant))
    return env


def render(name: str, /, **context: Any) -> str:
    """Render `templates/<name>` in the current locale, without surrounding blank lines."""
    return environment().get_template(name).render(**context).strip()


_TAG: Final = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Telegram HTML (a rendered template) as terminal text: the tags dropped, the entities unescaped."""
    return html.unescape(_TAG.sub("", text))


@cache
def _compiled(source: str) -> Template:
    return environment().from_string(source)


def render_string(source: str, /, **context: Any) -> str:
    """Render template text kept in a data file (an FAQ answer) like a template file."""
    return _compiled(source).render(**context).strip()

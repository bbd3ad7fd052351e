"""The tier rules an operator tunes: parsed from TOML text and checked key by key (docs/tier-rules.md).

The dataclasses below are the schema: a TOML table has exactly the fields of its dataclass, and a field's
type says how its value is read (money as `Decimal` from a string or an integer, never from a float).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "DEFAULT_RULES_PATH",
    "ActivityRules",
    "AssetRules",
    "ComplexityRules",
    "DowngradeRules",
    "LifecycleRules",
    "LoyaltyRules",
    "RulesError",
    "SuitabilityRules",
    "Tier",
    "TierRules",
    "Weights",
    "parse_rules",
]

DEFAULT_RULES_PATH: Final = Path(__file__).with_name("default.toml")

_TIER_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_T = TypeVar("_T", bound="DataclassInstance")


class RulesError(ValueError):
    """A rules file that cannot be used; the message is one sentence naming the key."""


def _limits(*, at_least: float | None = None, at_most: float | None = None) -> dict[str, float | None]:
    return {"at_least": at_least, "at_most": at_most}


_PROBABILITY: Final = _limits(at_least=0, at_most=1)
# A field that is not read from its table as such: its value comes from the tiers (see _segment_lines).
_FROM_TIERS: Final = {"from_tiers": True}
# Until then: a value no check lets through.
_PENDING: Final = Decimal("NaN")
# The asset segments that a tier's line may start, with the key that holds the line when no tier starts them.
_SEGMENT_LINES: Final = {"mid": "mid_from", "high_net_worth": "high_net_worth_from"}


@dataclass(frozen=True, slots=True)
class AssetRules:
    window_months: int = field(metadata=_limits(at_least=1))
    score_from: Decimal
    # Where the mid and high-net-worth segments start: the line of the tier that starts each of them
    # (`starts_segment`); written in [asset] only for a segment that no tier starts.
    mid_from: Decimal = field(metadata=_FROM_TIERS)
    high_net_worth_from: Decimal = field(metadata=_FROM_TIERS)

    def segment(self, amount: Decimal) -> str:
        """The asset-size segment of an amount: ordinary, mid or high_net_worth."""
        if amount >= self.high_net_worth_from:
            return "high_net_worth"
        return "mid" if amount >= self.mid_from else "ordinary"


@dataclass(frozen=True, slots=True)
class ActivityRules:
    window_months: int = field(metadata=_limits(at_least=1))
    high_frequency_from: float = field(metadata=_limits(at_least=0.01))


@dataclass(frozen=True, slots=True)
class LifecycleRules:
    new_months: int = field(metadata=_limits(at_least=0))
    # Theil-Sen needs three points to be robust to one outlier.
    trend_months: int = field(metadata=_limits(at_least=3))
    growth_from: float
    decline_below: float
    dormant_days: int = field(metadata=_limits(at_least=1))
    p_alive_decline_below: float = field(metadata=_PROBABILITY)


@dataclass(frozen=True, slots=True)
class ComplexityRules:
    diverse_from: int = field(metadata=_limits(at_least=1))


@dataclass(frozen=True, slots=True)
class LoyaltyRules:
    tenure_full_years: int = field(metadata=_limits(at_least=1))
    flow_months: int = field(metadata=_limits(at_least=1))
    p_alive_churn_below: float = field(metadata=_PROBABILITY)
    outflow_churn_above: float = field(metadata=_limits(at_least=0))
    survey_churn_below: float = field(metadata=_PROBABILITY)


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the five dimensions in the value score; the score divides by their sum."""

    asset_size: float = field(metadata=_limits(at_least=0))
    activity: float = field(metadata=_limits(at_least=0))
    lifecycle: float = field(metadata=_limits(at_least=0))
    complexity: float = field(metadata=_limits(at_least=0))
    loyalty: float = field(metadata=_limits(at_least=0))


@dataclass(frozen=True, slots=True)
class SuitabilityRules:
    assessment_valid_months: int = field(metadata=_limits(at_least=1))


@dataclass(frozen=True, slots=True)
class DowngradeRules:
    grace_months: int = field(metadata=_limits(at_least=0))


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    # An English message id that the chat translates.
    name: str
    aum_from: Decimal
    min_value_score: float | None = field(default=None, metadata=_limits(at_least=0, at_most=100))
    # "mid" or "high_net_worth": this tier's aum_from is where that asset segment starts.
    starts_segment: str | None = None


@dataclass(frozen=True, slots=True)
class TierRules:
    version: str
    history_months: int = field(metadata=_limits(at_least=1))
    asset: AssetRules
    activity: ActivityRules
    lifecycle: LifecycleRules
    complexity: ComplexityRules
    loyalty: LoyaltyRules
    weights: Weights
    suitability: SuitabilityRules
    downgrade: DowngradeRules
    tiers: tuple[Tier, ...]  # lowest first

    def rank(self, tier_id: str) -> int | None:
        """The tier's position, 0 for the lowest; None when no tier has this id."""
        return next((rank for rank, tier in enumerate(self.tiers) if tier.id == tier_id), None)

    def tier(self, tier_id: str) -> Tier:
        rank = self.rank(tier_id)
        if rank is None:
            raise KeyError(tier_id)
        return self.tiers[rank]

    def service_level(self, tier_id: str) -> str:
        """The method's service level of a tier: the asset segment its AUM line falls in."""
        return self.asset.segment(self.tier(tier_id).aum_from)

    def digest(self) -> str:
        """SHA-256 of what the rules say, their version aside: the same for the same rules however written
        (layout, comments, "500000" or 500000, an old file's agreeing duplicate lines)."""
        content = _canonical(self)
        assert isinstance(content, dict)
        del content["version"]
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: object) -> object:
    """The rules as plain data, without what is at its default: a later release that adds a setting (at a default
    that keeps the rules as they were) leaves the digest of an unchanged file as it was."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)
                if f.default is MISSING or getattr(value, f.name) != f.default}
    if isinstance(value, tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def parse_rules(text: str, *, source: str = "rules") -> TierRules:
    """Read tier rules from TOML text; `source` (say, the file name) starts every error sentence."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: not valid TOML: {error}") from None
    written = _written_lines(document, source)
    rules = _build(TierRules, document, "", source)
    _check_relations(rules, source)
    return _segment_lines(rules, written, source)


def _written_lines(document: dict[str, Any], source: str) -> dict[str, Decimal]:
    """The segment lines written in [asset] (taken out of it), by segment: only where no tier starts the
    segment, or in a file written before the tiers started them."""
    table = document.get("asset")
    if not isinstance(table, dict):
        return {}
    return {segment: _money(table.pop(key), f"asset.{key}", source)
            for segment, key in _SEGMENT_LINES.items() if key in table}


def _segment_lines(rules: TierRules, written: Mapping[str, Decimal], source: str) -> TierRules:
    """The rules with the asset segments' lines taken from the tiers: one line, one place.

    A segment starts at the line of the tier marked `starts_segment`. A line written in [asset] (a segment that
    no tier starts, or a file from before the tiers were marked) must agree with the tiers: with the marked
    tier's line; in a file that marks no tier (and has more than one), a tier at that very line starts the
    segment, a tier named after the segment ("mid") must be at it, and a line of no tier is refused while a tier
    above the first is left that it could have been meant for.
    """

    def fail(path: str, rule: str) -> NoReturn:
        raise RulesError(f"{source}: {path}: {rule}")

    tiers = list(rules.tiers)
    starts: dict[str, int] = {}
    for rank, tier in enumerate(tiers):
        segment = tier.starts_segment
        if segment is None:
            continue
        path = f"tiers[{rank}].starts_segment"
        if segment not in _SEGMENT_LINES:
            fail(path, f'must be "mid" or "high_net_worth", not {_shown(segment)}')
        if rank == 0:
            fail(path, "must not be set: the first tier is where the ordinary segment starts")
        if segment in starts:
            fail(path, f'"{segment}" is started by tiers[{starts[segment]}] already')
        starts[segment] = rank
    if starts.keys() == _SEGMENT_LINES.keys() and starts["high_net_worth"] < starts["mid"]:
        fail(f"tiers[{starts['high_net_worth']}].starts_segment",
             f"must be on a tier above tiers[{starts['mid']}], where the mid segment starts")
    marked = bool(starts)  # a file that marks its tiers writes in [asset] only the lines no tier has
    lines: dict[str, Decimal] = {}
    for segment, key in _SEGMENT_LINES.items():
        path, line = f"asset.{key}", written.get(segment)
        index = starts.get(segment)
        if index is not None:
            have = tiers[index].aum_from
            if line is not None and line != have:
                fail(path, f"{line} disagrees with tiers[{index}].aum_from ({have}), where the {segment} segment "
                           f"starts: delete {path}, the tiers' lines are the segments' lines")
            lines[segment] = have
            continue
        if line is None:
            fail("tiers", f'no tier starts the {segment} segment: add starts_segment = "{segment}" to the tier whose '
                          f"aum_from is its line (or, when no tier starts it, write its line as {path})")
        at_line = next((i for i, tier in enumerate(tiers)
                        if i and tier.aum_from == line and tier.starts_segment is None), None)
        if at_line is not None:
            tiers[at_line] = replace(tiers[at_line], starts_segment=segment)
            starts[segment] = at_line
        else:
            named = next((i for i, tier in enumerate(tiers) if tier.id == segment), None)
            if named is not None:
                fail(path, f"{line} disagrees with tiers[{named}].aum_from ({tiers[named].aum_from}), the line of the "
                           f'{segment} tier: delete {path} and mark the tier where the {segment} segment starts '
                           f'with starts_segment = "{segment}"')
            # A file from before the marks whose lines have drifted apart: a tier is left that the line was for.
            if not marked and any(rank and tier.starts_segment is None for rank, tier in enumerate(tiers)):
                fail(path, f"{line} is the line of no tier ({_tier_lines(tiers)}): the tiers' lines are the "
                           f'segments\' lines, so mark the tier where the {segment} segment starts with '
                           f'starts_segment = "{segment}" and delete {path}')
        lines[segment] = line
    mid, high = lines["mid"], lines["high_net_worth"]
    if mid <= rules.asset.score_from:
        fail(_line_key(starts, "mid"), f"must be greater than asset.score_from ({rules.asset.score_from}), "
                                       "as the mid segment starts there")
    if high <= mid:
        fail(_line_key(starts, "high_net_worth"), f"must be greater than {_line_key(starts, 'mid')} ({mid}), "
                                                  "as the high_net_worth segment starts there")
    return replace(rules, asset=replace(rules.asset, mid_from=mid, high_net_worth_from=high), tiers=tuple(tiers))


def _tier_lines(tiers: Sequence[Tier]) -> str:
    return ", ".join(f"tiers[{rank}].aum_from = {tier.aum_from}" for rank, tier in enumerate(tiers) if rank)


def _line_key(starts: Mapping[str, int], segment: str) -> str:
    """The key that holds the segment's line."""
    index = starts.get(segment)
    return f"asset.{_SEGMENT_LINES[segment]}" if index is None else f"tiers[{index}].aum_from"


def _build(cls: type[_T], table: object, path: str, source: str) -> _T:
    """A dataclass from a TOML table, with every key checked against the dataclass's fields."""
    if not isinstance(table, dict):
        raise RulesError(f"{source}: {path}: must be a table")
    names = [f.name for f in fields(cls)]
    for key in table:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise RulesError(f'{source}: unknown key "{_join(path, key)}"{hint}')
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in fields(cls):
        key_path = _join(path, f.name)
        if f.metadata.get("from_tiers"):
            values[f.name] = _PENDING
        elif f.name in table:
            values[f.name] = _value(hints[f.name], table[f.name], key_path, source)
            _check_limits(values[f.name], f.metadata, key_path, source)
        elif f.default is MISSING:
            raise RulesError(f"{source}: {key_path}: is required")
    return cls(**values)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _value(hint: Any, value: object, path: str, source: str) -> object:
    if isinstance(hint, type) and is_dataclass(hint):
        return _build(hint, value, path, source)
    if get_origin(hint) is tuple:
        return _array_of_tables(get_args(hint)[0], value, path, source)
    if get_origin(hint) is types.UnionType:  # an optional key: present means its type
        return _value(get_args(hint)[0], value, path, source)
    if hint is Decimal:
        return _money(value, path, source)
    if hint is str and isinstance(value, str) and value.strip():
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    kind = {str: "non-empty text", int: "a whole number", float: "a number"}[hint]
    raise RulesError(f"{source}: {path}: must be {kind}, not {_shown(value)}")


def _array_of_tables(cls: type[_T], value: object, path: str, source: str) -> tuple[_T, ...]:
    if not isinstance(value, list):
        raise RulesError(f"{source}: {path}: must be an array of tables, written [[{path}]]")
    if not value:
        raise RulesError(f"{source}: {path}: must hold at least one entry")
    return tuple(_build(cls, item, f"{path}[{index}]", source) for index, item in enumerate(value))


def _money(value: object, path: str, source: str) -> Decimal:
    if isinstance(value, float):
        raise RulesError(
            f'{source}: {path}: money is written as a string or an integer, e.g. "500000.50", not the float {value}'
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if amount.is_finite() and amount >= 0:
                return amount
    raise RulesError(f"{source}: {path}: must be an amount of money of at least 0, not {_shown(value)}")


def _check_limits(value: object, limits: Mapping[str, float | None], path: str, source: str) -> None:
    if not isinstance(value, int | float):
        return
    at_least, at_most = limits.get("at_least"), limits.get("at_most")
    if at_least is not None and value < at_least:
        rule = "must not be negative" if at_least == 0 else f"must be at least {at_least}"
        raise RulesError(f"{source}: {path}: {rule}")
    if at_most is not None and value > at_most:
        raise RulesError(f"{source}: {path}: must be at most {at_most}")


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_relations(rules: TierRules, source: str) -> None:
    """What no single key can say: lines in order, windows within the history, tiers consistent."""

    def fail(path: str, rule: str) -> None:
        raise RulesError(f"{source}: {path}: {rule}")

    for path, months in (
        ("asset.window_months", rules.asset.window_months),
        ("activity.window_months", rules.activity.window_months),
        ("lifecycle.trend_months", rules.lifecycle.trend_months),
        ("loyalty.flow_months", rules.loyalty.flow_months),
    ):
        if months > rules.history_months:
            fail(path, f"must be at most history_months ({rules.history_months})")
    if rules.asset.score_from <= 0:
        fail("asset.score_from", "must be greater than 0")
    if rules.lifecycle.growth_from <= rules.lifecycle.decline_below:
        fail("lifecycle.growth_from", f"must be greater than lifecycle.decline_below ({rules.lifecycle.decline_below})")
    if not any(getattr(rules.weights, f.name) for f in fields(Weights)):
        fail("weights", "must not all be zero")
    if rules.tiers[0].aum_from != 0:
        fail("tiers[0].aum_from", "must be 0, so that every client has a tier")
    if rules.tiers[0].min_value_score is not None:
        fail("tiers[0].min_value_score", "must not be set, so that every client has a tier")
    seen: set[str] = set()
    for index, tier in enumerate(rules.tiers):
        if not _TIER_ID.fullmatch(tier.id):
            fail(f"tiers[{index}].id", f"must be up to 32 lowercase letters, digits and _, not {_shown(tier.id)}")
        if tier.id in seen:
            fail(f"tiers[{index}].id", f'"{tier.id}" names an earlier tier too')
        seen.add(tier.id)
        if index and tier.aum_from <= rules.tiers[index - 1].aum_from:
            fail(
                f"tiers[{index}].aum_from",
                f"must be greater than tiers[{index - 1}].aum_from ({rules.tiers[index - 1].aum_from})",
            )

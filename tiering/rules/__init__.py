"""The tier rules an operator tunes: parsed from TOML text and checked key by key (docs/tier-rules.md).

The dataclasses below are the schema: a TOML table has exactly the fields of its dataclass, and a field's
type says how its value is read (money as `Decimal` from a string or an integer, never from a float).
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, get_args, get_origin, get_type_hints

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


@dataclass(frozen=True, slots=True)
class AssetRules:
    window_months: int = field(metadata=_limits(at_least=1))
    score_from: Decimal
    mid_from: Decimal
    high_net_worth_from: Decimal

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


def parse_rules(text: str, *, source: str = "rules") -> TierRules:
    """Read tier rules from TOML text; `source` (say, the file name) starts every error sentence."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: not valid TOML: {error}") from None
    rules = _build(TierRules, document, "", source)
    _check_relations(rules, source)
    return rules


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
        if f.name in table:
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
    asset = rules.asset
    if asset.score_from <= 0:
        fail("asset.score_from", "must be greater than 0")
    if asset.mid_from <= asset.score_from:
        fail("asset.mid_from", f"must be greater than asset.score_from ({asset.score_from})")
    if asset.high_net_worth_from <= asset.mid_from:
        fail("asset.high_net_worth_from", f"must be greater than asset.mid_from ({asset.mid_from})")
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

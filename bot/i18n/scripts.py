"""Simplified and Traditional Chinese characters, converted with OpenCC: a product name the firm gave only in
Simplified characters, read by a zh_Hant reader; a client's question typed in Traditional characters, read by the
FAQ matcher, whose lexicon is written in Simplified ones."""

from __future__ import annotations

from functools import cache

import opencc

__all__ = ["to_simplified", "to_traditional"]


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@cache
def to_traditional(text: str) -> str:
    """A name in Traditional characters, character by character (`s2t`): a proper name keeps its words."""
    return str(_converter("s2t").convert(text))


def to_simplified(text: str) -> str:
    """Text in Simplified characters and mainland words (`tw2sp`: 資訊 → 信息, 帳戶 → 帐户; Hong Kong's
    characters convert as well)."""
    return str(_converter("tw2sp").convert(text))

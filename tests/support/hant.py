"""Characters that give away Simplified text in a Traditional (`zh_Hant`) string.

`SIMPLIFIED_ONLY` holds common Simplified characters that standard Traditional text, in Taiwan as in Hong Kong,
never uses: each has a different Traditional form (们 → 們, 这 → 這, 账 → 帳). Characters that are also Traditional
in some word are left out on purpose: 后 (queen), 里 (a unit of distance), 于 and 范 (surnames), 干, 发, 台, 面, 只,
云, 划, 号, 么, 个, 没, 录, 达, and 户 (Hong Kong's printed variant of 戶).
"""

from __future__ import annotations

from typing import Final

__all__ = ["SIMPLIFIED_ONLY", "simplified_only"]

SIMPLIFIED_ONLY: Final = (
    "们这经级务资产为时关联请说问题评现设选择过还进让对账码语证书开员币汇区风险额计讯议与专业来给从见长东车门"
    "马鸟买卖农乐义习乡亲闻网络应当总结类别单双变边运动态监测试验统链导认启费处历状邮电话页顾绑钮键删编辑显记"
    "权项样办减净纳筛属确该将仅览执"
)


def simplified_only(text: str) -> list[str]:
    """The characters of `text` that are in `SIMPLIFIED_ONLY`, each once, in the order they first occur."""
    return list(dict.fromkeys(c for c in text if c in SIMPLIFIED_ONLY))

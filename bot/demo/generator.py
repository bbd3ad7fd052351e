"""Demo data: a Chinese retail wealth book in the CSV format of DESIGN.md ("Data files").

The same arguments give byte-identical files. Clients are drawn in chunks, each from its own random stream,
and streamed to the files, so memory stays flat from a thousand clients to a million. The book's shape follows
China Merchants Bank's 2022 annual report: about 2.2% of retail clients hold RMB 500k or more (金葵花) and
about 81% of retail AUM, the 0.07% at RMB 10m or more (private banking) about 31% of it, everyone else about 19%.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from bot.db.models import ProductCategory, TransactionKind

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Flags = NDArray[np.bool_]


@dataclass(frozen=True)
class DemoSummary:
    """Rows written per file (advisers, clients and products are also the entity counts)."""

    clients: int
    advisers: int
    products: int
    balances: int
    transactions: int
    interactions: int


MONTHS: Final = 24  # month-end statements kept: two years, so a year can be compared with the year before
CHUNK_CLIENTS: Final = 20_000
DAY: Final = 86_400
CLIENTS_PER_ADVISER: Final = 150
LAPSE_LATEST: Final = MONTHS - 6  # a lapsed client's last activity is at least six months before as_of

HEADERS: Final = {
    "advisers.csv": ("adviser_id", "name", "locale"),
    "clients.csv": (
        "client_id",
        "name",
        "adviser_id",
        "onboarded_on",
        "locale",
        "risk_level",
        "risk_assessed_on",
    ),
    "products.csv": ("product_id", "name_en", "name_zh", "category", "risk_level", "min_investment"),
    "balances.csv": ("client_id", "product_id", "as_of", "amount"),
    "transactions.csv": ("client_id", "product_id", "at", "kind", "amount"),
    "interactions.csv": ("client_id", "at", "channel", "kind"),
}

# --- the product shelf -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ShelfProduct:
    product_id: str
    name_en: str
    name_zh: str
    category: ProductCategory
    risk_level: int  # R1..R5
    min_investment: Decimal


_C = ProductCategory
_SHELF: Final = tuple(
    _ShelfProduct(product_id, name_en, name_zh, category, risk_level, Decimal(min_investment))
    for product_id, name_en, name_zh, category, risk_level, min_investment in (
        ("DP01", "Evergreen Current Account", "常青活期储蓄", _C.DEPOSIT, 1, "0.00"),
        ("DP02", "Evergreen Time Deposit 3M", "常青三个月定期存款", _C.DEPOSIT, 1, "50.00"),
        ("DP03", "Evergreen Time Deposit 1Y", "常青一年期定期存款", _C.DEPOSIT, 1, "50.00"),
        ("DP04", "Evergreen Time Deposit 3Y", "常青三年期定期存款", _C.DEPOSIT, 1, "50.00"),
        ("DP05", "Evergreen 7-Day Notice Deposit", "常青七天通知存款", _C.DEPOSIT, 1, "50000.00"),
        ("DP06", "Large-Denomination Certificate of Deposit 3Y", "三年期大额存单", _C.DEPOSIT, 1, "200000.00"),
        ("WM01", "Steady Harvest Fixed Income 90-Day", "稳盈固收九十天", _C.WEALTH_MANAGEMENT, 2, "10000.00"),
        ("WM02", "Steady Harvest Fixed Income 180-Day", "稳盈固收一百八十天", _C.WEALTH_MANAGEMENT, 2, "10000.00"),
        ("WM03", "Steady Harvest Fixed Income 1-Year", "稳盈固收一年期", _C.WEALTH_MANAGEMENT, 2, "10000.00"),
        ("WM04", "Steady Harvest Fixed Income Plus", "稳盈固收增强", _C.WEALTH_MANAGEMENT, 3, "10000.00"),
        ("WM05", "Balanced Wealth Mixed Allocation", "均衡财富混合配置", _C.WEALTH_MANAGEMENT, 3, "10000.00"),
        ("WM06", "Green Future ESG Wealth Plan", "绿色未来ESG理财计划", _C.WEALTH_MANAGEMENT, 2, "10000.00"),
        ("WM07", "Silver Years Pension Wealth Plan", "银龄养老理财计划", _C.WEALTH_MANAGEMENT, 2, "10000.00"),
        ("FD01", "Harbour Money Market Fund A", "港湾货币市场基金A", _C.FUND, 1, "1.00"),
        ("FD02", "Tidewater Cash Plus Money Market Fund", "潮汐现金增利货币基金", _C.FUND, 2, "1.00"),
        ("FD03", "Harbour Pure Bond Fund", "港湾纯债债券基金", _C.FUND, 2, "1.00"),
        ("FD04", "Harbour Short-Term Bond Fund", "港湾短债债券基金", _C.FUND, 2, "1.00"),
        ("FD05", "Harbour Balanced Allocation Fund", "港湾平衡配置混合基金", _C.FUND, 3, "1.00"),
        ("FD06", "Harbour Pension Target 2040 FOF", "港湾养老目标2040三年持有FOF", _C.FUND, 3, "1.00"),
        ("FD07", "Harbour CSI 300 Index Fund", "港湾沪深300指数基金", _C.FUND, 4, "1.00"),
        ("FD08", "Harbour Growth Select Equity Fund", "港湾成长精选股票基金", _C.FUND, 4, "1000.00"),
        ("FD09", "Harbour Technology Innovation Fund", "港湾科技创新混合基金", _C.FUND, 4, "1000.00"),
        ("FD10", "Harbour Healthcare Equity Fund", "港湾医疗健康股票基金", _C.FUND, 4, "1000.00"),
        ("FD11", "Harbour Global Equity QDII Fund", "港湾全球股票QDII基金", _C.FUND, 5, "1000.00"),
        ("BD01", "Savings Treasury Bond 3Y", "三年期储蓄国债", _C.BOND, 1, "100.00"),
        ("BD02", "Local Government Bond 5Y", "五年期地方政府债", _C.BOND, 2, "1000.00"),
        ("BD03", "Policy Bank Financial Bond 3Y", "三年期政策性金融债", _C.BOND, 2, "1000.00"),
        ("BD04", "AA+ Corporate Bond 3Y", "AA+三年期企业债", _C.BOND, 3, "1000.00"),
        ("BD05", "Convertible Bond Select Basket", "可转债精选组合", _C.BOND, 4, "1000.00"),
        ("IN01", "Peace of Mind Annuity", "安心年金保险", _C.INSURANCE, 1, "1000.00"),
        ("IN02", "Peace of Mind Whole Life", "安心终身寿险", _C.INSURANCE, 1, "1000.00"),
        ("IN03", "Bright Future Education Endowment", "锦绣前程教育金保险", _C.INSURANCE, 1, "1000.00"),
        ("IN04", "Peace of Mind Participating Endowment", "安心分红型两全保险", _C.INSURANCE, 2, "1000.00"),
        ("IN05", "Peace of Mind Universal Life", "安心万能型终身寿险", _C.INSURANCE, 2, "1000.00"),
        ("EQ01", "A-Share Brokerage Holdings", "A股证券账户持仓", _C.EQUITY, 4, "1000.00"),
        ("EQ02", "STAR Market Select Portfolio", "科创板精选组合", _C.EQUITY, 5, "1000.00"),
        ("EQ03", "Hong Kong Stock Connect Holdings", "港股通持仓", _C.EQUITY, 5, "1000.00"),
        ("PV01", "Summit Private Equity Fund III", "峰汇私募股权投资基金三期", _C.PRIVATE, 5, "1000000.00"),
        ("PV02", "Quant Alpha Private Securities Fund", "量化阿尔法私募证券投资基金", _C.PRIVATE, 5, "1000000.00"),
        ("PV03", "Bedrock Collective Trust Plan", "磐石集合资金信托计划", _C.PRIVATE, 5, "1000000.00"),
        ("PV04", "Heritage Family Trust", "传承家族信托", _C.PRIVATE, 5, "10000000.00"),
        ("OT01", "Gold Accumulation Plan", "黄金积存计划", _C.OTHER, 3, "1.00"),
    )
)
_CURRENT_ACCOUNT: Final = 0  # DP01: where salaries land, so most clients' first and longest holding


@dataclass(frozen=True)
class _CategoryHabit:
    appeal: tuple[float, float, float]  # pull on ordinary, mid and high-net-worth clients
    drift: float  # mean monthly log change of a holding's value
    volatility: float  # monthly log volatility of a holding's value
    dividend_chance: float  # chance of a cash dividend or coupon in a month
    top_up_bias: float  # chance that a client's own movement puts money in rather than takes it out


_HABITS: Final = {
    _C.DEPOSIT: _CategoryHabit((6.0, 2.0, 1.0), 0.001, 0.05, 0.0, 0.5),
    _C.WEALTH_MANAGEMENT: _CategoryHabit((1.5, 2.5, 2.0), 0.003, 0.004, 0.0, 0.55),
    _C.FUND: _CategoryHabit((1.2, 2.0, 1.5), 0.004, 0.04, 0.05, 0.5),
    _C.BOND: _CategoryHabit((0.4, 1.0, 1.0), 0.003, 0.01, 0.17, 0.5),
    _C.INSURANCE: _CategoryHabit((0.6, 1.2, 1.2), 0.003, 0.002, 0.0, 0.9),
    _C.EQUITY: _CategoryHabit((0.3, 0.8, 1.0), 0.005, 0.07, 0.08, 0.5),
    _C.PRIVATE: _CategoryHabit((0.5, 1.2, 3.0), 0.006, 0.03, 0.0, 0.8),
    _C.OTHER: _CategoryHabit((0.2, 0.3, 0.3), 0.004, 0.04, 0.0, 0.5),
}


def _per_product(values: Callable[[_ShelfProduct], float]) -> Floats:
    return np.array([values(product) for product in _SHELF], dtype=np.float64)


_PRODUCT_IDS: Final = [product.product_id for product in _SHELF]
_IS_DEPOSIT: Final = np.array([product.category is _C.DEPOSIT for product in _SHELF])
# A deposit needs no risk assessment; anything else needs a client level at least its R level.
_NEEDED_RISK: Final = np.where(_IS_DEPOSIT, 0, [product.risk_level for product in _SHELF])
_MIN_INVESTMENT: Final = _per_product(lambda product: float(product.min_investment))
_DRIFT: Final = _per_product(lambda product: _HABITS[product.category].drift)
_VOLATILITY: Final = _per_product(lambda product: _HABITS[product.category].volatility)
_DIVIDEND_CHANCE: Final = _per_product(lambda product: _HABITS[product.category].dividend_chance)
_TOP_UP_BIAS: Final = _per_product(lambda product: _HABITS[product.category].top_up_bias)
# Appeal per product, so a category's pull does not grow with the number of products it has on the shelf.
_LOG_APPEAL: Final = np.log(
    np.array(
        [
            [
                _HABITS[product.category].appeal[band] / sum(other.category is product.category for other in _SHELF)
                for product in _SHELF
            ]
            for band in range(3)
        ]
    )
)
_TRADED: Final = np.array([product.category in (_C.FUND, _C.EQUITY) for product in _SHELF])
# Private funds and trusts come in large tickets, so they take a larger share of the wallet.
_WALLET_SHAPE: Final = np.where([product.category is _C.PRIVATE for product in _SHELF], 2.5, 1.0)

# --- the clients -----------------------------------------------------------------------------------------

_ORDINARY, _MID, _HIGH_NET_WORTH = 0, 1, 2  # AUM bands: below RMB 500k, 500k to 10m, 10m and more
_NEW, _GROWING, _MATURE, _DECLINING, _LAPSED = 0, 1, 2, 3, 4
_OCCASIONAL, _TRADER, _DORMANT = 0, 1, 2

_MID_FLOOR, _HIGH_FLOOR, _RICHEST = 500_000.0, 10_000_000.0, 3_000_000_000.0
_ORDINARY_SIGMA: Final = 1.9
# A mean of RMB 17k, which lapses and sales bring down to about 12k at as_of.
_ORDINARY_MU: Final = float(np.log(17_000) - _ORDINARY_SIGMA**2 / 2)
_MID_ALPHA: Final = 1.12  # truncated at 10m this gives a mean of about RMB 1.5m
_HIGH_ALPHA: Final = 1.5  # a mean of about RMB 28m at 3bn
# Established clients by band: cumulative shares of growing, mature, declining (the rest lapsed).
_STAGE_CUMULATIVE: Final = np.array([[0.24, 0.67, 0.85], [0.28, 0.78, 0.96], [0.28, 0.82, 0.98]])
# Risk levels C1..C4 cumulative, for ordinary and for wealthier clients (the rest C5).
_RISK_CUMULATIVE: Final = np.array([[0.07, 0.32, 0.68, 0.90], [0.02, 0.15, 0.50, 0.82]])


@dataclass(frozen=True)
class _Clients:
    ids: list[str]
    names: list[str]
    zh: Flags
    band: Ints
    wealth: Floats  # AUM at as_of the client's profile aims at, RMB
    onboarded: Ints  # day number
    first_month: Ints  # first statement month the client can hold anything in
    joined_before_window: Flags
    stage: Ints
    lapse_month: Ints  # first month with nothing left (MONTHS when not lapsed)
    habit: Ints
    quiet_from: Ints  # first month without activity of the client's own (MONTHS when always active)
    risk: Ints  # 0: never assessed
    assessed_on: Ints  # day number, -1 when never assessed
    expired: Flags  # assessed over two years ago, so buys nothing new that needs an assessment
    above_level: Flags  # holds a product above the level of a recent re-assessment
    adviser: Ints


@dataclass(frozen=True)
class _Calendar:
    as_of: int  # day number
    month_first: Ints  # day number of each month's first day
    statement_day: Ints  # day number of each month's statement: its last day, or as_of in as_of's month
    statement_dates: list[str]
    first_month_number: int  # months since 1970-01 of the window's first month


def _calendar(as_of: date) -> _Calendar:
    epoch = date(1970, 1, 1)
    last = as_of.year * 12 + as_of.month - 1
    firsts = [date(number // 12, number % 12 + 1, 1) for number in range(last - MONTHS + 1, last + 2)]
    statements = [min(following - timedelta(days=1), as_of) for following in firsts[1:]]
    return _Calendar(
        as_of=(as_of - epoch).days,
        month_first=np.array([(first - epoch).days for first in firsts[:-1]], dtype=np.int64),
        statement_day=np.array([(statement - epoch).days for statement in statements], dtype=np.int64),
        statement_dates=[statement.isoformat() for statement in statements],
        first_month_number=last - MONTHS + 1 - 1970 * 12,
    )


def _stream(seed: int, number: int) -> np.random.Generator:
    # Each chunk (and the advisers) has a stream of its own, so no part shifts the draws of another.
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(number,)))


def _truncated_pareto(rng: np.random.Generator, n: int, low: float, high: float, alpha: float) -> Floats:
    drawn: Floats = low * (1.0 - rng.random(n) * (1.0 - (low / high) ** alpha)) ** (-1.0 / alpha)
    return drawn


def _draw_wealth(rng: np.random.Generator, band: Ints) -> Floats:
    n = band.size
    ordinary = rng.lognormal(_ORDINARY_MU, _ORDINARY_SIGMA, n)
    too_rich = ordinary >= _MID_FLOOR
    while too_rich.any():  # truncate the lognormal at the next band by drawing again
        ordinary[too_rich] = rng.lognormal(_ORDINARY_MU, _ORDINARY_SIGMA, int(too_rich.sum()))
        too_rich = ordinary >= _MID_FLOOR
    mid = _truncated_pareto(rng, n, _MID_FLOOR, _HIGH_FLOOR, _MID_ALPHA)
    high = _truncated_pareto(rng, n, _HIGH_FLOOR, _RICHEST, _HIGH_ALPHA)
    return np.select([band == _MID, band == _HIGH_NET_WORTH], [mid, high], ordinary)


def _draw_clients(
    rng: np.random.Generator, numbers: range, id_width: int, calendar: _Calendar, advisers: _Advisers
) -> _Clients:
    n = len(numbers)
    band_draw = rng.random(n)
    # Drawn a little above 0.07% and 2.2%: lapses and sales take some below their band by as_of.
    band = np.select([band_draw < 0.0008, band_draw < 0.0248], [_HIGH_NET_WORTH, _MID], _ORDINARY)
    wealth = _draw_wealth(rng, band)
    zh = rng.random(n) < 0.8
    ordinary = band == _ORDINARY

    # Tenure: recent years brought more clients; the wealthy have been with the firm longer.
    new = rng.random(n) < np.where(ordinary, 0.07, 0.03)
    scale = np.where(ordinary, 4 * 365.25, 6 * 365.25)
    span = 15 * 365 - 183
    established = 183 - scale * np.log1p(-rng.random(n) * (1.0 - np.exp(-span / scale)))
    days_ago = np.where(new, rng.integers(0, 183, n), established.astype(np.int64))
    onboarded = calendar.as_of - days_ago
    month = onboarded.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first_month = np.maximum(month - calendar.first_month_number, 0)
    joined_before_window = onboarded < calendar.month_first[0]

    stage = 1 + (rng.random(n)[:, None] > _STAGE_CUMULATIVE[band]).sum(axis=1)
    lapse_earliest = np.maximum(first_month + 2, 2)
    stage = np.where(new, _NEW, np.where((stage == _LAPSED) & (lapse_earliest > LAPSE_LATEST), _MATURE, stage))
    lapsed = stage == _LAPSED
    lapse_month = np.where(lapsed, rng.integers(np.minimum(lapse_earliest, LAPSE_LATEST), LAPSE_LATEST + 1), MONTHS)

    assessed = rng.random(n) >= 0.08
    risk_cumulative = _RISK_CUMULATIVE[np.where(ordinary, 0, 1)]
    risk = np.where(assessed, 1 + (rng.random(n)[:, None] > risk_cumulative).sum(axis=1), 0)

    dormant = (stage != _LAPSED) & ~new & (first_month <= 9) & (rng.random(n) < 0.22)
    # Active trading takes an appetite for risk and some money to trade with.
    trader_chance = np.select([risk >= 4, risk == 3], [0.25, 0.08], 0.0) * np.clip(np.log10(wealth) - 3.5, 0.1, 1.5)
    trader = ~dormant & ~lapsed & (rng.random(n) < trader_chance)
    habit = np.select([trader, dormant], [_TRADER, _DORMANT], _OCCASIONAL)
    # A dormant client's last own move is over a year before as_of, or before the window.
    quiet_earliest = np.minimum(np.where(joined_before_window, 0, first_month + 1), 11)
    quiet_from = np.select([dormant, lapsed], [rng.integers(quiet_earliest, 12), lapse_month], MONTHS)

    # Bought at onboarding, then re-assessed one level lower within the last year.
    above_level = assessed & (risk <= 4) & (first_month <= 10) & ~lapsed & (rng.random(n) < 0.03)
    tenure = calendar.as_of - onboarded
    expired = assessed & ~above_level & (tenure > 760) & (rng.random(n) < 0.16)
    recent_span = np.minimum(tenure, np.where(above_level, 330, 730))
    recent_ago = (rng.random(n) * (recent_span + 1)).astype(np.int64)
    expired_ago = 745 + (rng.random(n) * np.maximum(tenure - 745, 0)).astype(np.int64)
    assessed_on = np.where(assessed, calendar.as_of - np.where(expired, expired_ago, recent_ago), -1)

    return _Clients(
        ids=[f"C{number:0{id_width}d}" for number in numbers],
        names=_names(rng, zh),
        zh=zh,
        band=band,
        wealth=wealth,
        onboarded=onboarded,
        first_month=first_month,
        joined_before_window=joined_before_window,
        stage=stage,
        lapse_month=lapse_month,
        habit=habit,
        quiet_from=quiet_from,
        risk=risk,
        assessed_on=assessed_on,
        expired=expired,
        above_level=above_level,
        adviser=advisers.assign(rng, zh),
    )


# --- names -----------------------------------------------------------------------------------------------

_ZH_SURNAMES: Final = [
    *"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    "欧阳",
    "司马",
]
# Common surnames are far more common: weight by rank, as in China's household register.
_ZH_SURNAME_WEIGHTS: Final = 1.0 / (np.arange(len(_ZH_SURNAMES)) + 3.0)
_ZH_GIVEN: Final = (  # noqa: SIM905 (a word list reads best as text)
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 志强 永刚 玉兰 丽娟 晓燕 "
    "海燕 婷婷 欣怡 梓涵 诗涵 雨桐 子轩 浩然 宇轩 梓豪 晨阳 家豪 文博 思远 明轩 博文 国强 建军 海涛 志明 建平 "
    "立新 春梅 红梅 淑珍 美玲 晓丽 佳怡 思雨 雅琪 梦瑶 鹏 辉 斌 鑫 波 宇 浩 凯 健 俊杰 玲 燕 雪 慧 颖 琳 洁 倩 "
    "欣 悦 嘉怡 一鸣 子墨 若曦 天宇 晓东 文静 丹 亮 峰 林 华 萍 红 建新"
).split()
_EN_MEN: Final = (  # noqa: SIM905 (a word list reads best as text)
    "James John Robert Michael David William Richard Joseph Thomas Charles Daniel Matthew Andrew Kevin Brian "
    "George Peter Jason Ryan Eric Jonathan Vincent Alan Tony Jack Frank Henry Oliver Samuel"
).split()
_EN_WOMEN: Final = (  # noqa: SIM905 (a word list reads best as text)
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Emily Olivia Sophie Grace Chloe "
    "Emma Hannah Amy Lucy Helen Michelle Rachel Ivy Cindy Angela Irene Vivian Catherine Fiona Claire"
).split()
_EN_SURNAMES: Final = (  # noqa: SIM905 (a word list reads best as text)
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
    "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams "
    "Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins Edwards Stewart "
    "Morris Murphy Cook Rogers O'Brien MacDonald Fischer Müller Dubois Rossi"
).split()
_PINYIN_SURNAMES: Final = (  # noqa: SIM905 (a word list reads best as text)
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo "
    "Wong Chan Cheung Lau Ho Leung Lam Ng Tang Chow"
).split()


def _names(rng: np.random.Generator, zh: Flags) -> list[str]:
    """Chinese names for zh_Hans people; English names otherwise, many with a Chinese surname."""
    n = zh.size
    surname = rng.choice(len(_ZH_SURNAMES), n, p=_ZH_SURNAME_WEIGHTS / _ZH_SURNAME_WEIGHTS.sum()).tolist()
    given = rng.integers(0, len(_ZH_GIVEN), n).tolist()
    man = (rng.random(n) < 0.5).tolist()
    man_name = rng.integers(0, len(_EN_MEN), n).tolist()
    woman_name = rng.integers(0, len(_EN_WOMEN), n).tolist()
    western = (rng.random(n) < 0.55).tolist()
    western_surname = rng.integers(0, len(_EN_SURNAMES), n).tolist()
    pinyin_surname = rng.integers(0, len(_PINYIN_SURNAMES), n).tolist()
    junior = (rng.random(n) < 0.04).tolist()
    names = []
    for index, chinese in enumerate(zh.tolist()):
        if chinese:
            names.append(_ZH_SURNAMES[surname[index]] + _ZH_GIVEN[given[index]])
            continue
        first = _EN_MEN[man_name[index]] if man[index] else _EN_WOMEN[woman_name[index]]
        if western[index]:
            suffix = ", Jr." if man[index] and junior[index] else ""  # after a comma, as US records write it
            names.append(f"{first} {_EN_SURNAMES[western_surname[index]]}{suffix}")
        else:
            names.append(f"{first} {_PINYIN_SURNAMES[pinyin_surname[index]]}")
    return names


# --- advisers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Advisers:
    ids: list[str]
    names: list[str]
    zh: Flags

    @classmethod
    def draw(cls, rng: np.random.Generator, client_count: int) -> _Advisers:
        count = max(1, round(client_count / CLIENTS_PER_ADVISER))
        width = max(3, len(str(count)))
        zh = rng.random(count) < 0.75
        return cls([f"A{number:0{width}d}" for number in range(1, count + 1)], _names(rng, zh), zh)

    def assign(self, rng: np.random.Generator, client_zh: Flags) -> Ints:
        """Mostly an adviser who speaks the client's language, now and then anyone."""
        n = client_zh.size
        chosen = rng.integers(0, len(self.ids), n)
        same_language = rng.random(n) < 0.9
        for pool, wanted in ((np.flatnonzero(self.zh), client_zh), (np.flatnonzero(~self.zh), ~client_zh)):
            if pool.size:
                chosen = np.where(same_language & wanted, pool[rng.integers(0, pool.size, n)], chosen)
        return chosen


# --- holdings and balances -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Holdings:
    client: Ints  # sorted, then by product
    product: Ints
    cents: Ints  # (holdings, MONTHS): month-end balance, 0 when not held
    carried_in: Flags  # held before the window opened, so its first statement is no purchase
    anchor: Ints  # per client: its first and longest holding
    first: Ints  # per client: index of its first holding
    count: Ints  # per client: number of holdings


def _choose_products(rng: np.random.Generator, clients: _Clients) -> tuple[Ints, Ints, Flags, Flags]:
    """Products per client by appeal to its band and habit (Gumbel top-k), suitable by risk and wallet."""
    n = clients.risk.size
    appetite = np.maximum(0.55 * (np.log10(clients.wealth) - 2.6), 0.05)
    count = np.select(
        [clients.band == _ORDINARY, clients.band == _MID],
        [1 + rng.poisson(appetite), 3 + rng.poisson(0.8 * appetite)],
        4 + rng.poisson(appetite),
    )
    count = np.where(clients.habit == _TRADER, np.maximum(count, 3), count)
    count = np.minimum(np.where(clients.above_level, np.maximum(count, 2), count), 8)

    # A holding is at least its minimum and rarely more than a third of the wallet.
    suitable = (_NEEDED_RISK[None, :] <= clients.risk[:, None]) & (
        3.0 * _MIN_INVESTMENT[None, :] <= clients.wealth[:, None]
    )
    score = _LOG_APPEAL[clients.band] + rng.gumbel(size=(n, len(_SHELF)))
    score += np.where((clients.habit == _TRADER)[:, None] & _TRADED[None, :], np.log(20.0), 0.0)
    score = np.where(suitable, score, -np.inf)
    has_current_account = rng.random(n) < np.where(clients.band == _ORDINARY, 0.9, 0.75)
    score[:, _CURRENT_ACCOUNT] += np.where(has_current_account, 50.0, 0.0)
    one_level_up = (_NEEDED_RISK[None, :] == clients.risk[:, None] + 1) & (
        3.0 * _MIN_INVESTMENT[None, :] <= clients.wealth[:, None]
    )
    above_pick = np.argmax(np.where(one_level_up, rng.random((n, len(_SHELF))), -1.0), axis=1)
    above_level = clients.above_level & one_level_up[np.arange(n), above_pick]
    score[above_level, above_pick[above_level]] = 40.0

    ranked = np.argsort(-score, axis=1, kind="stable")[:, :8]
    taken = (np.arange(8)[None, :] < count[:, None]) & np.isfinite(np.take_along_axis(score, ranked, axis=1))
    client = np.repeat(np.arange(n), taken.sum(axis=1))
    product = ranked[taken]
    anchor = np.zeros_like(taken)
    anchor[:, 0] = True
    above = above_level[:, None] & (ranked == above_pick[:, None])
    order = np.lexsort((product, client))
    return client[order], product[order], anchor[taken][order], above[taken][order]


def _log_trend(rng: np.random.Generator, clients: _Clients) -> Floats:
    """Each client's log AUM by month relative to as_of, from its lifecycle stage."""
    n = clients.stage.size
    to_go = (MONTHS - 1 - np.arange(MONTHS))[None, :].astype(np.float64)
    slope = rng.uniform(0.3, 1.1, n)[:, None]
    since_joining = np.maximum(MONTHS - 1 - clients.first_month, 1)[:, None]
    fade_months = rng.integers(1, 5, n)[:, None]
    fade_start = clients.lapse_month[:, None] - fade_months
    fading = np.clip(np.arange(MONTHS)[None, :] - fade_start + 1, 0, None) / fade_months
    stage = clients.stage[:, None]
    return np.select(
        [stage == _NEW, stage == _GROWING, stage == _DECLINING, stage == _LAPSED],
        [
            -slope * to_go / since_joining,
            -slope * to_go / (MONTHS - 1),
            slope * to_go / (MONTHS - 1),
            np.log(0.12) * fading,
        ],
        0.0,
    )


def _draw_holdings(rng: np.random.Generator, clients: _Clients) -> _Holdings:
    client, product, anchor, above = _choose_products(rng, clients)
    n, held = clients.stage.size, client.size

    # The wallet split over holdings, each given at least its minimum investment where the wallet allows.
    weight = rng.gamma(_WALLET_SHAPE[product])
    weight /= np.bincount(client, weight, minlength=n)[client]
    floor = _MIN_INVESTMENT[product]
    floors = np.bincount(client, floor, minlength=n)[client]
    wealth = clients.wealth[client]
    value = np.where(floors <= wealth, floor + weight * (wealth - floors), weight * wealth)

    # Growing and new clients add products during the window, declining ones sell some off.
    first_month = clients.first_month[client]
    stage, habit = clients.stage[client], clients.habit[client]
    settled = anchor | above | (habit == _DORMANT) | (stage == _LAPSED)
    needs_assessment = clients.expired[client] & ~_IS_DEPOSIT[product]
    adds = (
        ~settled
        & ~needs_assessment
        & (first_month < MONTHS - 1)
        & (rng.random(held) < np.where((stage == _NEW) | (stage == _GROWING), 0.35, 0.15))
    )
    opened = np.where(adds, rng.integers(np.minimum(first_month + 1, MONTHS - 1), MONTHS), -1)
    start = np.maximum(opened, first_month)
    sells = ~settled & (start < MONTHS - 1) & (rng.random(held) < np.where(stage == _DECLINING, 0.3, 0.08))
    closed = np.where(sells, rng.integers(np.minimum(start + 1, MONTHS - 1), MONTHS), MONTHS)
    month = np.arange(MONTHS)[None, :]
    alive = (month >= start[:, None]) & (month < closed[:, None]) & (month < clients.lapse_month[client][:, None])

    steps = rng.normal(_DRIFT[product][:, None], _VOLATILITY[product][:, None], (held, MONTHS))
    walk = np.cumsum(steps, axis=1)
    walk -= walk[:, -1:]
    amount = value[:, None] * np.exp(_log_trend(rng, clients)[client] + walk)
    cents = np.where(alive, np.rint(amount * 100.0), 0.0).astype(np.int64)

    anchor_index = np.flatnonzero(anchor)
    anchor_deposit = _IS_DEPOSIT[product[anchor_index]]
    # A lapsed client often leaves a few yuan in the account rather than closing it.
    leaves_change = anchor_deposit & (clients.stage == _LAPSED) & (rng.random(n) < 0.6)
    change = rng.integers(1, 5_000, n)
    after_lapse = month >= clients.lapse_month[:, None]
    cents[anchor_index] += np.where(leaves_change[:, None] & after_lapse, change[:, None], 0)

    first = np.searchsorted(client, np.arange(n))
    return _Holdings(
        client=client,
        product=product,
        cents=cents,
        carried_in=(opened == -1) & clients.joined_before_window[client],
        anchor=anchor_index,
        first=first,
        count=np.bincount(client, minlength=n),
    )


@dataclass(frozen=True)
class _Spikes:
    """A large sum parked in the current account for one month-end and taken out the next month."""

    client: Ints
    month: Ints
    cents: Ints


def _draw_spikes(rng: np.random.Generator, clients: _Clients, holdings: _Holdings) -> _Spikes:
    """Draw the spikes of a few active clients and add them to their anchor's statements."""
    n = clients.stage.size
    candidates = (
        (clients.habit != _DORMANT)
        & (clients.stage != _LAPSED)
        & (clients.first_month <= MONTHS - 3)
        & _IS_DEPOSIT[holdings.product[holdings.anchor]]
        & (rng.random(n) < 0.015)
    )
    month = rng.integers(np.minimum(clients.first_month + 1, MONTHS - 2), MONTHS - 1)
    size = np.rint((clients.wealth + 30_000.0) * rng.lognormal(np.log(2.0), 0.7, n) * 100.0).astype(np.int64)
    client = np.flatnonzero(candidates)
    holdings.cents[holdings.anchor[client], month[client]] += size[client]
    return _Spikes(client, month[client], size[client])


# --- moments in time -------------------------------------------------------------------------------------


def _moments(rng: np.random.Generator, day_low: Ints, day_high: Ints, hours: Ints) -> Ints:
    """Seconds since the epoch: a day in [day_low, day_high], a time within hours ((n, 2) UTC seconds)."""
    n = day_low.size
    day = day_low + (rng.random(n) * (day_high - day_low + 1)).astype(np.int64)
    second = hours[:, 0] + (rng.random(n) * (hours[:, 1] - hours[:, 0])).astype(np.int64)
    return day * DAY + second


def _month_days(clients: _Clients, calendar: _Calendar, client: Ints, month: Ints) -> tuple[Ints, Ints]:
    return np.maximum(calendar.month_first[month], clients.onboarded[client]), calendar.statement_day[month]


def _unique_rows(keys: Sequence[Ints]) -> Ints:
    """Row order sorted by keys (first key first), keeping one row per distinct key tuple."""
    order = np.lexsort(tuple(reversed(keys)))
    differs = np.zeros(order.size, dtype=bool)
    differs[:1] = True
    for key in keys:
        ordered = key[order]
        differs[1:] |= ordered[1:] != ordered[:-1]
    return order[differs]


# --- transactions ----------------------------------------------------------------------------------------

_KINDS: Final = list(TransactionKind)
_BUY, _SELL, _DEPOSIT, _WITHDRAW, _TRANSFER_IN, _TRANSFER_OUT, _DIVIDEND = (
    _KINDS.index(kind)
    for kind in (
        TransactionKind.BUY,
        TransactionKind.SELL,
        TransactionKind.DEPOSIT,
        TransactionKind.WITHDRAW,
        TransactionKind.TRANSFER_IN,
        TransactionKind.TRANSFER_OUT,
        TransactionKind.DIVIDEND,
    )
)
_KIND_NAMES: Final = [kind.value for kind in _KINDS]
# UTC hours of each kind: orders in market hours (09:30-15:00 Beijing), cash any waking hour, payouts early.
_KIND_HOURS: Final = np.array(
    [
        (0, 7_200)
        if kind is TransactionKind.DIVIDEND
        else (5_400, 25_200)
        if kind in (TransactionKind.BUY, TransactionKind.SELL)
        else (0, 54_000)
        for kind in _KINDS
    ],
    dtype=np.int64,
)


@dataclass(frozen=True)
class _Movements:
    client: Ints
    product: Ints
    month: Ints
    kind: Ints
    cents: Ints


def _kind(rng: np.random.Generator, product: Ints, money_in: Flags) -> Ints:
    """Deposits move as deposits and withdrawals (now and then transfers); the rest as buys and sells."""
    transfer = rng.random(product.size) < 0.12
    cash_kind = np.where(
        money_in, np.where(transfer, _TRANSFER_IN, _DEPOSIT), np.where(transfer, _TRANSFER_OUT, _WITHDRAW)
    )
    return np.where(_IS_DEPOSIT[product], cash_kind, np.where(money_in, _BUY, _SELL))


def _own_movements(rng: np.random.Generator, clients: _Clients, holdings: _Holdings, previous: Ints) -> _Movements:
    """Movements a client chooses: a few a year for most, 5-15 a month for traders, none when quiet."""
    n = clients.stage.size
    month = np.arange(MONTHS)[None, :]
    active = (month >= clients.first_month[:, None]) & (month < clients.quiet_from[:, None])
    rate = np.where(clients.habit == _TRADER, rng.uniform(5.0, 15.0, n), rng.uniform(0.2, 2.0, n))
    events = rng.poisson(np.where(active, rate[:, None], 0.0))
    client, month_of = np.nonzero(events)
    count = events[client, month_of]
    client, month_of = np.repeat(client, count), np.repeat(month_of, count)

    # Traders move mostly in funds and shares; a pick is cumulative weight searched within the client's holdings.
    weight = np.where((clients.habit[holdings.client] == _TRADER) & _TRADED[holdings.product], 12.0, 1.0)
    cumulative = np.cumsum(weight)
    before = cumulative[holdings.first] - weight[holdings.first]
    target = before[client] + rng.random(client.size) * np.bincount(holdings.client, weight, minlength=n)[client]
    last = holdings.first + holdings.count - 1
    held = np.minimum(np.searchsorted(cumulative, target, side="right"), last[client])
    # On a holding the client has at that month-end, else on its anchor; nothing held, no movement.
    held = np.where(holdings.cents[held, month_of] > 0, held, holdings.anchor[client])
    keep = holdings.cents[held, month_of] > 0
    client, month_of, held = client[keep], month_of[keep], held[keep]
    product = holdings.product[held]

    balance = holdings.cents[held, month_of]
    change = balance - previous[held, month_of]
    money_in = rng.random(held.size) < np.clip(_TOP_UP_BIAS[product] + 0.3 * np.sign(change), 0.05, 0.95)
    # Loosely consistent with the statements: often the month's change, else a slice of the balance.
    follows = (np.sign(change) == np.where(money_in, 1, -1)) & (rng.random(held.size) < 0.6)
    typical_slice = np.where(clients.habit[client] == _TRADER, 0.12, 0.06)
    slice_ = np.minimum(rng.lognormal(np.log(typical_slice), 0.9), 1.0)
    amount = np.where(follows, np.abs(change) * rng.uniform(0.3, 1.0, held.size), balance * slice_)
    cents = np.maximum(np.rint(amount), 100).astype(np.int64)
    return _Movements(client, product, month_of, _kind(rng, product, money_in), cents)


def _transactions(
    rng: np.random.Generator, clients: _Clients, calendar: _Calendar, holdings: _Holdings, spikes: _Spikes
) -> tuple[Ints, Ints, Ints, Ints, Ints]:
    """Client, product, at, kind and cents of each transaction, sorted and unique."""
    cents = holdings.cents
    carried = np.where(holdings.carried_in, cents[:, 0], 0)
    previous = np.concatenate([carried[:, None], cents[:, :-1]], axis=1)
    own = _own_movements(rng, clients, holdings, previous)

    # Opening and closing a holding, and a lapsing client draining what is left, show in the statements.
    month = np.arange(MONTHS)[None, :]
    lapsing = month == clients.lapse_month[holdings.client][:, None]
    opens = (previous == 0) & (cents > 0)
    closes = (previous > 0) & ((cents == 0) | (lapsing & (cents < previous)))
    open_held, open_month = np.nonzero(opens)
    close_held, close_month = np.nonzero(closes)
    open_product, close_product = holdings.product[open_held], holdings.product[close_held]

    # Dormant clients reinvest dividends, so no cash dividend shows for them.
    paying = (cents > 0) & (month < clients.quiet_from[holdings.client][:, None])
    paying &= (clients.habit[holdings.client] != _DORMANT)[:, None]
    paying &= rng.random(cents.shape) < _DIVIDEND_CHANCE[holdings.product][:, None]
    dividend_held, dividend_month = np.nonzero(paying)
    dividend_cents = np.maximum(
        np.rint(cents[dividend_held, dividend_month] * rng.uniform(0.002, 0.015, dividend_held.size)), 1
    ).astype(np.int64)

    spike_product = np.repeat(holdings.product[holdings.anchor[spikes.client]], 2)
    parts = [
        own,
        _Movements(
            holdings.client[open_held],
            open_product,
            open_month,
            _kind(rng, open_product, np.ones(open_held.size, dtype=bool)),
            cents[open_held, open_month],
        ),
        _Movements(
            holdings.client[close_held],
            close_product,
            close_month,
            _kind(rng, close_product, np.zeros(close_held.size, dtype=bool)),
            previous[close_held, close_month] - cents[close_held, close_month],
        ),
        _Movements(
            holdings.client[dividend_held],
            holdings.product[dividend_held],
            dividend_month,
            np.full(dividend_held.size, _DIVIDEND),
            dividend_cents,
        ),
        _Movements(
            np.repeat(spikes.client, 2),
            spike_product,
            np.stack([spikes.month, spikes.month + 1], axis=1).ravel(),
            np.tile([_DEPOSIT, _WITHDRAW], spikes.client.size),
            np.repeat(spikes.cents, 2),
        ),
    ]
    client = np.concatenate([part.client for part in parts])
    product = np.concatenate([part.product for part in parts])
    month_of = np.concatenate([part.month for part in parts])
    kind = np.concatenate([part.kind for part in parts])
    amount = np.concatenate([part.cents for part in parts])
    at = _moments(rng, *_month_days(clients, calendar, client, month_of), _KIND_HOURS[kind])
    rows = _unique_rows([client, at, product, kind])
    return client[rows], product[rows], at[rows], kind[rows], amount[rows]


# --- interactions ----------------------------------------------------------------------------------------

_CHANNELS: Final = ["app", "branch", "phone", "wechat", "email", "event"]
_INTERACTION_KINDS: Final = ["login", "consultation", "complaint", "seminar", "service", ""]
_BRANCH, _PHONE = _CHANNELS.index("branch"), _CHANNELS.index("phone")
_SERVICE, _COMPLAINT = _INTERACTION_KINDS.index("service"), _INTERACTION_KINDS.index("complaint")
# Channel shares for ordinary zh_Hans, ordinary en, wealthier zh_Hans and wealthier en clients.
_CHANNEL_SHARES: Final = np.cumsum(
    [
        [0.74, 0.08, 0.06, 0.10, 0.01, 0.01],
        [0.72, 0.07, 0.06, 0.03, 0.11, 0.01],
        [0.45, 0.10, 0.14, 0.22, 0.02, 0.07],
        [0.45, 0.09, 0.14, 0.08, 0.17, 0.07],
    ],
    axis=1,
)
# Kind shares per channel, in the order of _INTERACTION_KINDS.
_KIND_SHARES: Final = np.cumsum(
    [
        [0.88, 0.0, 0.0, 0.0, 0.12, 0.0],
        [0.0, 0.35, 0.04, 0.0, 0.61, 0.0],
        [0.0, 0.40, 0.10, 0.0, 0.50, 0.0],
        [0.0, 0.55, 0.03, 0.0, 0.30, 0.12],
        [0.0, 0.15, 0.03, 0.0, 0.40, 0.42],
        [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    ],
    axis=1,
)
# UTC hours per channel: the app and messages 08:00-23:00 Beijing, branch and phone office hours, seminars 14-16.
_CHANNEL_HOURS: Final = np.array(
    [[0, 54_000], [3_600, 30_600], [3_600, 36_000], [0, 54_000], [0, 54_000], [21_600, 28_800]], dtype=np.int64
)
_STAGE_ENGAGEMENT: Final = np.array([1.5, 1.2, 1.0, 0.6, 0.8])


def _pick_shares(rng: np.random.Generator, cumulative: Floats) -> Ints:
    """One index per row of cumulative shares."""
    drawn = (rng.random(len(cumulative))[:, None] > cumulative).sum(axis=1)
    picked: Ints = np.minimum(drawn, cumulative.shape[1] - 1).astype(np.int64)
    return picked


def _interactions(rng: np.random.Generator, clients: _Clients, calendar: _Calendar) -> tuple[Ints, Ints, Ints, Ints]:
    """Client, at, channel and kind of each interaction, sorted and unique."""
    n = clients.stage.size
    wealthier = clients.band != _ORDINARY
    rate = np.where(clients.habit == _TRADER, rng.lognormal(np.log(10.0), 0.4, n), rng.lognormal(np.log(1.2), 0.8, n))
    rate *= np.where(wealthier, 1.6, 1.0) * _STAGE_ENGAGEMENT[clients.stage]
    month = np.arange(MONTHS)[None, :]
    # Once quiet, a dormant client is rarely in touch and a lapsed one never.
    quiet_rate = np.where(clients.habit == _DORMANT, 0.02 * rate, 0.0)
    monthly = np.where(month < clients.quiet_from[:, None], rate[:, None], quiet_rate[:, None])
    events = rng.poisson(np.where(month >= clients.first_month[:, None], monthly, 0.0))
    client, month_of = np.nonzero(events)
    count = events[client, month_of]
    client, month_of = np.repeat(client, count), np.repeat(month_of, count)
    channel = _pick_shares(rng, _CHANNEL_SHARES[2 * wealthier[client] + ~clients.zh[client]])
    kind = _pick_shares(rng, _KIND_SHARES[channel])
    day_low, day_high = _month_days(clients, calendar, client, month_of)

    # Accounts are opened at a branch; many lapses follow a complaint.
    opened = np.flatnonzero(~clients.joined_before_window)
    complained = np.flatnonzero(
        (clients.stage == _LAPSED) & (clients.lapse_month - 1 >= clients.first_month) & (rng.random(n) < 0.35)
    )
    complaint_days = _month_days(clients, calendar, complained, clients.lapse_month[complained] - 1)
    client = np.concatenate([client, opened, complained])
    channel = np.concatenate(
        [channel, np.full(opened.size, _BRANCH), np.where(rng.random(complained.size) < 0.6, _PHONE, _BRANCH)]
    )
    kind = np.concatenate([kind, np.full(opened.size, _SERVICE), np.full(complained.size, _COMPLAINT)])
    day_low = np.concatenate([day_low, clients.onboarded[opened], complaint_days[0]])
    day_high = np.concatenate([day_high, clients.onboarded[opened], complaint_days[1]])
    at = _moments(rng, day_low, day_high, _CHANNEL_HOURS[channel])
    rows = _unique_rows([client, at, channel])
    return client[rows], at[rows], channel[rows], kind[rows]


# --- the files -------------------------------------------------------------------------------------------

_FEN: Final = [f"{fen:02d}" for fen in range(100)]


def _money(cents: Ints) -> list[str]:
    yuan, fen = np.divmod(cents, 100)
    return [f"{whole}.{_FEN[part]}" for whole, part in zip(yuan.tolist(), fen.tolist(), strict=True)]


def _pick(values: Sequence[str], index: Ints) -> list[str]:
    return [values[position] for position in index.tolist()]


def _iso_dates(days: Ints) -> list[str]:
    return list(np.datetime_as_string(days.astype("datetime64[D]")).tolist())


def _iso_moments(seconds: Ints) -> list[str]:
    return list(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC").tolist())


_LOCALES: Final = ["en", "zh_Hans"]


class _RowWriter(Protocol):
    def writerows(self, rows: Iterable[Iterable[str]], /) -> None: ...


def _write_chunk(
    rng: np.random.Generator,
    numbers: range,
    id_width: int,
    calendar: _Calendar,
    advisers: _Advisers,
    writers: Mapping[str, _RowWriter],
) -> tuple[int, int, int]:
    """Draw the clients numbered, with all they hold and do, write them; return balance, transaction and
    interaction rows written."""
    clients = _draw_clients(rng, numbers, id_width, calendar, advisers)
    holdings = _draw_holdings(rng, clients)
    spikes = _draw_spikes(rng, clients, holdings)
    transactions = _transactions(rng, clients, calendar, holdings, spikes)
    interactions = _interactions(rng, clients, calendar)

    assessed = clients.assessed_on >= 0
    writers["clients.csv"].writerows(
        zip(
            clients.ids,
            clients.names,
            _pick(advisers.ids, clients.adviser),
            _iso_dates(clients.onboarded),
            _pick(_LOCALES, clients.zh.astype(np.int64)),
            [f"C{level}" if level else "" for level in clients.risk.tolist()],
            np.where(assessed, _iso_dates(np.where(assessed, clients.assessed_on, 0)), "").tolist(),
            strict=True,
        )
    )
    held, month = np.nonzero(holdings.cents)
    writers["balances.csv"].writerows(
        zip(
            _pick(clients.ids, holdings.client[held]),
            _pick(_PRODUCT_IDS, holdings.product[held]),
            _pick(calendar.statement_dates, month),
            _money(holdings.cents[held, month]),
            strict=True,
        )
    )
    client, product, at, kind, cents = transactions
    writers["transactions.csv"].writerows(
        zip(
            _pick(clients.ids, client),
            _pick(_PRODUCT_IDS, product),
            _iso_moments(at),
            _pick(_KIND_NAMES, kind),
            _money(cents),
            strict=True,
        )
    )
    client, at, channel, kind = interactions
    writers["interactions.csv"].writerows(
        zip(
            _pick(clients.ids, client),
            _iso_moments(at),
            _pick(_CHANNELS, channel),
            _pick(_INTERACTION_KINDS, kind),
            strict=True,
        )
    )
    return held.size, transactions[0].size, interactions[0].size


def generate_demo_data(
    out: Path,
    *,
    clients: int,
    seed: int,
    as_of: date,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write advisers.csv, clients.csv, products.csv, balances.csv, transactions.csv, interactions.csv into out
    (created if missing). Same arguments -> byte-identical files. progress(n) is called with the number of
    clients just finished (for a progress bar)."""
    out.mkdir(parents=True, exist_ok=True)
    calendar = _calendar(as_of)
    advisers = _Advisers.draw(_stream(seed, 0), clients)
    id_width = max(5, len(str(clients)))
    balances = transactions = interactions = 0
    with ExitStack() as files:
        writers = {}
        for name, header in HEADERS.items():
            file = files.enter_context((out / name).open("w", encoding="utf-8", newline=""))
            writers[name] = csv.writer(file, lineterminator="\n")
            writers[name].writerow(header)
        writers["advisers.csv"].writerows(
            zip(advisers.ids, advisers.names, _pick(_LOCALES, advisers.zh.astype(np.int64)), strict=True)
        )
        writers["products.csv"].writerows(
            (p.product_id, p.name_en, p.name_zh, str(p.category), f"R{p.risk_level}", str(p.min_investment))
            for p in _SHELF
        )
        for chunk, first in enumerate(range(0, clients, CHUNK_CLIENTS), start=1):
            n = min(CHUNK_CLIENTS, clients - first)
            numbers = range(first + 1, first + n + 1)
            written = _write_chunk(_stream(seed, chunk), numbers, id_width, calendar, advisers, writers)
            balances += written[0]
            transactions += written[1]
            interactions += written[2]
            if progress is not None:
                progress(n)
    return DemoSummary(
        clients=clients,
        advisers=len(advisers.ids),
        products=len(_SHELF),
        balances=balances,
        transactions=transactions,
        interactions=interactions,
    )

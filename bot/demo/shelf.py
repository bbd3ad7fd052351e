"""The demo's product shelf: every product with its category, risk level and minimum investment, and, as arrays in
shelf order, what the draws need of them: suitability, appeal to each wealth band, and how their values move."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np

from bot.db.models import ProductCategory
from bot.demo.arrays import Floats


@dataclass(frozen=True)
class ShelfProduct:
    product_id: str
    name_en: str
    name_zh: str
    category: ProductCategory
    risk_level: int  # R1..R5
    min_investment: Decimal


_C = ProductCategory
SHELF: Final = tuple(
    ShelfProduct(product_id, name_en, name_zh, category, risk_level, Decimal(min_investment))
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
CURRENT_ACCOUNT: Final = 0  # DP01: where salaries land, so most clients' first and longest holding


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


def _per_product(values: Callable[[ShelfProduct], float]) -> Floats:
    return np.array([values(product) for product in SHELF], dtype=np.float64)


PRODUCT_IDS: Final = [product.product_id for product in SHELF]
IS_DEPOSIT: Final = np.array([product.category is _C.DEPOSIT for product in SHELF])
# A deposit needs no risk assessment; anything else needs a client level at least its R level.
NEEDED_RISK: Final = np.where(IS_DEPOSIT, 0, [product.risk_level for product in SHELF])
MIN_INVESTMENT: Final = _per_product(lambda product: float(product.min_investment))
DRIFT: Final = _per_product(lambda product: _HABITS[product.category].drift)
VOLATILITY: Final = _per_product(lambda product: _HABITS[product.category].volatility)
DIVIDEND_CHANCE: Final = _per_product(lambda product: _HABITS[product.category].dividend_chance)
TOP_UP_BIAS: Final = _per_product(lambda product: _HABITS[product.category].top_up_bias)
# Appeal per product, so a category's pull does not grow with the number of products it has on the shelf.
LOG_APPEAL: Final = np.log(
    np.array(
        [
            [
                _HABITS[product.category].appeal[band] / sum(other.category is product.category for other in SHELF)
                for product in SHELF
            ]
            for band in range(3)
        ]
    )
)
TRADED: Final = np.array([product.category in (_C.FUND, _C.EQUITY) for product in SHELF])
# Private funds and trusts come in large tickets, so they take a larger share of the wallet.
WALLET_SHAPE: Final = np.where([product.category is _C.PRIVATE for product in SHELF], 2.5, 1.0)

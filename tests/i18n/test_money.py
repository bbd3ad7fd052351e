"""Money as each market writes it: a table over the locales and currencies, whole amounts without cents and others
with them, and the firm's own name for the base currency."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.config import InvalidSettings, get_settings
from bot.i18n import Catalogs, format_money, use_locale

NBSP = "\u00a0"
AMOUNTS = (Decimal(500_000), Decimal("320000.50"), Decimal("-1234.5"), Decimal(125_000), Decimal(999))
# (locale, currency): what AMOUNTS read as, with the default settings (base currency CNY, its symbol).
TABLE = {
    ("en", "CNY"): ("CN¥500,000", "CN¥320,000.50", "-CN¥1,234.50", "CN¥125,000", "CN¥999.00"),
    ("en", "USD"): ("$500,000", "$320,000.50", "-$1,234.50", "$125,000", "$999.00"),
    ("en", "HKD"): ("HK$500,000", "HK$320,000.50", "-HK$1,234.50", "HK$125,000", "HK$999.00"),
    ("zh_Hans", "CNY"): ("¥500,000", "¥320,000.50", "-¥1,234.50", "¥125,000", "¥999.00"),
    ("zh_Hans", "USD"): ("US$500,000", "US$320,000.50", "-US$1,234.50", "US$125,000", "US$999.00"),
    ("zh_Hans", "HKD"): ("HK$500,000", "HK$320,000.50", "-HK$1,234.50", "HK$125,000", "HK$999.00"),
    ("zh_Hant", "CNY"): ("CN¥500,000", "CN¥320,000.50", "-CN¥1,234.50", "CN¥125,000", "CN¥999.00"),
    ("zh_Hant", "USD"): ("US$500,000", "US$320,000.50", "-US$1,234.50", "US$125,000", "US$999.00"),
    ("zh_Hant", "HKD"): ("HK$500,000", "HK$320,000.50", "-HK$1,234.50", "HK$125,000", "HK$999.00"),
    # The yen has no cents: an amount of it is rounded (half to even, as Babel does).
    ("zh_Hant", "JPY"): ("¥500,000", "¥320,000", "-¥1,234", "¥125,000", "¥999"),
}


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings read afresh from the environment the test sets."""
    for name in ("TIERBOT_BASE_CURRENCY", "TIERBOT_MONEY_STYLE", "TIERBOT_MONEY_LABEL", "TIERBOT_MONEY_CHINESE_UNITS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _formatted(locale: str, currency: str | None, amounts: tuple[Decimal, ...] = AMOUNTS) -> tuple[str, ...]:
    with Catalogs("en").activated(), use_locale(locale):
        return tuple(format_money(amount, currency) for amount in amounts)


@pytest.mark.parametrize(("locale", "currency"), list(TABLE))
def test_each_locale_writes_each_currency_its_own_way(
    settings: pytest.MonkeyPatch, locale: str, currency: str
) -> None:
    assert _formatted(locale, currency) == TABLE[locale, currency]


def test_an_amount_without_a_currency_is_in_the_base(settings: pytest.MonkeyPatch) -> None:
    assert _formatted("en", None) == TABLE["en", "CNY"]
    settings.setenv("TIERBOT_BASE_CURRENCY", "HKD")
    get_settings.cache_clear()
    assert _formatted("zh_Hant", None) == TABLE["zh_Hant", "HKD"]


def test_a_balance_keeps_its_cents_when_asked_even_if_whole(settings: pytest.MonkeyPatch) -> None:
    with Catalogs("en").activated(), use_locale("en"):
        assert format_money(Decimal(1_000_000), cents=True) == "CN¥1,000,000.00"
        assert format_money(Decimal("1234.56"), "USD", cents=False) == "$1,235"


@pytest.mark.parametrize(("style", "label", "expected"), [
    ("code", None, {"en": f"CNY{NBSP}500,000", "zh_Hans": f"CNY{NBSP}500,000", "zh_Hant": f"CNY{NBSP}500,000"}),
    ("code", "RMB", {"en": f"RMB{NBSP}500,000", "zh_Hans": f"RMB{NBSP}500,000", "zh_Hant": f"RMB{NBSP}500,000"}),
    ("symbol", "¥", {"en": "¥500,000", "zh_Hans": "¥500,000", "zh_Hant": "¥500,000"}),
])
def test_the_firm_names_its_base_currency_as_it_likes(
    settings: pytest.MonkeyPatch, style: str, label: str | None, expected: dict[str, str]
) -> None:
    settings.setenv("TIERBOT_MONEY_STYLE", style)
    if label is not None:
        settings.setenv("TIERBOT_MONEY_LABEL", label)
    get_settings.cache_clear()
    for locale, whole in expected.items():
        assert _formatted(locale, None, (Decimal(500_000), Decimal("-1234.5")))[0] == whole
        # Cents and a sign as the locale writes them; other currencies as before.
        negative = _formatted(locale, None, (Decimal("-1234.5"),))[0]
        assert negative == "-" + whole.replace("500,000", "1,234.50")
        assert _formatted(locale, "HKD") == TABLE[locale, "HKD"]


def test_chinese_readers_may_read_wan_and_yi(settings: pytest.MonkeyPatch) -> None:
    settings.setenv("TIERBOT_MONEY_CHINESE_UNITS", "true")
    get_settings.cache_clear()
    amounts = (Decimal(500_000), Decimal(125_000), Decimal(300_000_000), Decimal("320000.50"), Decimal(9_000))
    assert _formatted("zh_Hans", None, amounts) == ("50万元", "12.5万元", "3亿元", "¥320,000.50", "¥9,000")
    assert _formatted("zh_Hant", None, amounts) == ("50萬元", "12.5萬元", "3億元", "CN¥320,000.50", "CN¥9,000")
    # Only where the unit says the amount exactly: 1.2346亿元 would hide 3,211 yuan.
    assert _formatted("zh_Hans", None, (Decimal(123_450_000), Decimal(123_456_789))) == ("1.2345亿元", "¥123,456,789")
    assert _formatted("en", None, amounts[:1]) == ("CN¥500,000",)  # English has no 万
    assert _formatted("zh_Hans", "USD", amounts[:1]) == ("US$500,000",)  # nor another currency


def test_wan_needs_the_yuan(settings: pytest.MonkeyPatch) -> None:
    settings.setenv("TIERBOT_MONEY_CHINESE_UNITS", "true")
    settings.setenv("TIERBOT_BASE_CURRENCY", "HKD")
    get_settings.cache_clear()
    with pytest.raises(InvalidSettings) as invalid:
        get_settings()
    (problem,) = invalid.value.problems
    assert (problem.variable, problem.reason) == (
        "TIERBOT_MONEY_CHINESE_UNITS", "50万元 counts in yuan: it needs TIERBOT_BASE_CURRENCY=CNY")


def test_a_label_keeps_the_decimals_of_its_currency(settings: pytest.MonkeyPatch) -> None:
    settings.setenv("TIERBOT_BASE_CURRENCY", "JPY")
    settings.setenv("TIERBOT_MONEY_STYLE", "code")
    get_settings.cache_clear()
    assert _formatted("en", None, (Decimal("1234.5"), Decimal(2_000_000))) == (f"JPY{NBSP}1,234", f"JPY{NBSP}2,000,000")
    settings.setenv("TIERBOT_BASE_CURRENCY", "BHD")  # three decimals
    get_settings.cache_clear()
    assert _formatted("en", None, (Decimal("1234.567"),)) == (f"BHD{NBSP}1,234.567",)

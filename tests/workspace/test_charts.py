"""The summary's chart: one PNG a phone shows, labelled in the reader's language with a font that has the glyphs
(English labels, and a warning in the log once, where the machine has no CJK font), drawn once per key and locale."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import noto_cjk_sans_otc
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from bot.workspace import charts
from tiering import Dimension

SCORES = list(zip(Dimension, [72.4, 35.0, 65.2, 48.0, 81.9], strict=True))
MONTHS = [date(2025, 11, 30), date(2025, 12, 31), *(date(2026, month, 28) for month in range(1, 11))]
TREND = [(day, Decimal(1_150_000 + 20_000 * index)) for index, day in enumerate(MONTHS)]


@pytest.fixture(scope="module", autouse=True)
def cjk_font() -> str:
    """A CJK font for matplotlib: the system's (Debian's fonts-noto-cjk, as the image installs), else the Noto Sans
    CJK that the test extras install (noto-cjk-sans-otc), registered as a font of this machine would be."""
    family = charts._find_cjk_family()
    if family is None:
        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
        family = charts._find_cjk_family()
    assert family is not None
    return family


@pytest.fixture(autouse=True)
def fresh_charts() -> Iterator[None]:
    """No chart cached and the font looked up afresh, before and after each test."""
    charts._cache.clear()
    charts.cjk_font_family.cache_clear()
    yield
    charts._cache.clear()
    charts.cjk_font_family.cache_clear()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The locale of each chart drawn, in order."""
    drawn: list[str] = []
    render = charts._render

    def counted(*args: Any) -> bytes:
        drawn.append(args[-1])
        return render(*args)

    monkeypatch.setattr(charts, "_render", counted)
    return drawn


def _image(png: bytes) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
        return image.format, image.size


def _texts(figure: Figure) -> list[Text]:
    return [text for text in figure.findobj(Text) if isinstance(text, Text) and text.get_visible() and text.get_text()]


def _is_cjk(character: str) -> bool:
    return "\u2e80" <= character <= "\u9fff" or "\uff00" <= character <= "\uffef"


def _drawn_without_missing_glyphs(draw: Callable[[], bytes]) -> bytes:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = draw()
    assert [str(warning.message) for warning in caught if "missing from font" in str(warning.message)] == []
    return png


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_chart_is_one_png_a_phone_shows(locale: str) -> None:
    png = _drawn_without_missing_glyphs(lambda: charts.summary_chart(SCORES, TREND, key=("C0001", 7), locale=locale))
    assert _image(png) == ("PNG", (1000, 500))


def test_the_labels_are_in_the_reader_s_language_and_the_amounts_abbreviated_as_they_write_them() -> None:
    english = [text.get_text() for text in _texts(charts._figure(SCORES, TREND, "en"))]
    assert {"Dimension scores", "Monthly average assets (CN¥)", "Asset size\n72", "Need\ncomplexity\n48",
            "Loyalty\n82"} <= set(english)
    assert {"1.08M", "1.2M", "1.26M", "1.44M", "Nov\n2025", "Dec", "Jan\n2026", "Oct"} <= set(english)

    chinese = [text.get_text() for text in _texts(charts._figure(SCORES, TREND, "zh_Hans"))]
    assert {"五个维度得分", "月日均资产（¥）", "资产规模\n72", "需求复杂度\n48", "忠诚度\n82"} <= set(chinese)
    assert {"108万", "120万", "126万", "144万", "11月\n2025年", "12月", "1月\n2026年", "10月"} <= set(chinese)


def test_a_chinese_chart_draws_every_chinese_label_in_the_cjk_font(cjk_font: str) -> None:
    figure = charts._figure(SCORES, TREND, "zh_Hans")
    chinese = [text for text in _texts(figure) if any(_is_cjk(character) for character in text.get_text())]
    assert len(chinese) >= 2 + 5 + 12  # the titles, the five dimensions, the months
    for text in chinese:
        font = font_manager.get_font(font_manager.findfont(text.get_fontproperties()))
        assert font.family_name == cjk_font
        assert all(font.get_char_index(ord(character)) for character in text.get_text() if _is_cjk(character))
    _drawn_without_missing_glyphs(lambda: charts.summary_chart(SCORES, TREND, key="C0002", locale="zh_Hans"))


def test_without_a_cjk_font_a_chinese_reader_gets_the_chart_in_english_and_the_log_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(charts, "_find_cjk_family", lambda: None)
    with caplog.at_level(logging.WARNING, logger="tierbot.workspace"):
        first = _drawn_without_missing_glyphs(lambda: charts.summary_chart(SCORES, TREND, key="C1", locale="zh_Hans"))
        second = _drawn_without_missing_glyphs(lambda: charts.summary_chart(SCORES, [], key="C2", locale="zh_Hans"))
    assert _image(first) == _image(second) == ("PNG", (1000, 500))
    warned = [record.getMessage() for record in caplog.records if record.name == "tierbot.workspace"]
    assert len(warned) == 1
    assert warned[0].startswith("no CJK font found: Chinese labels will not render; install fonts-noto-cjk")

    texts = [text.get_text() for text in _texts(charts._figure(SCORES, TREND, "zh_Hans"))]
    assert not any(_is_cjk(character) for text in texts for character in text)
    assert {"Dimension scores", "Asset size\n72", "1.2M"} <= set(texts)


def test_a_font_installed_after_matplotlib_s_font_cache_was_built_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's font cache is built once: a font installed since is not in it (a stale copy of the cache here)."""
    current = font_manager.fontManager
    cjk_files = {entry.fname for entry in current.ttflist if entry.name in charts.CJK_FAMILIES}
    stale = font_manager.FontManager.__new__(font_manager.FontManager)
    stale.__dict__.update(current.__dict__)
    stale.ttflist = [entry for entry in current.ttflist if entry.fname not in cjk_files]
    monkeypatch.setattr(font_manager, "fontManager", stale)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [str(noto_cjk_sans_otc.FONT_PATH)])
    assert charts._find_cjk_family() == "Noto Sans CJK SC"


def test_a_second_view_draws_nothing(renders: list[str]) -> None:
    first = charts.summary_chart(SCORES, TREND, key=("C0003", 11), locale="en")
    assert charts.summary_chart(SCORES, TREND, key=("C0003", 11), locale="en") is first
    assert renders == ["en"]
    charts.summary_chart(SCORES, TREND, key=("C0003", 11), locale="zh_Hans")  # another language, another chart
    charts.summary_chart(SCORES, TREND, key=("C0003", 12), locale="en")  # a newer snapshot
    assert renders == ["en", "zh_Hans", "en"]
    charts.summary_chart(SCORES, TREND, key=("C0003", 11), locale="zh_Hans")
    assert len(renders) == 3


def test_the_cache_keeps_the_charts_viewed_last(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    monkeypatch.setattr(charts, "_render", lambda scores, trend, locale: drawn.append(locale) or b"png")
    monkeypatch.setattr(charts, "CACHE_SIZE", 2)
    for key in ("a", "b", "a", "c"):  # "a" seen again, so "b" is the one that goes
        charts.summary_chart(SCORES, TREND, key=key, locale="en")
    assert len(drawn) == 3
    charts.summary_chart(SCORES, TREND, key="a", locale="en")
    assert len(drawn) == 3
    charts.summary_chart(SCORES, TREND, key="b", locale="en")
    assert len(drawn) == 4
    assert len(charts._cache) == 2


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        (list(zip(Dimension, [0.0] * 5, strict=True)), TREND),  # all-zero scores
        (SCORES, TREND[-2:]),  # a client onboarded two months ago
        (SCORES, TREND[-1:]),  # this month
        (SCORES, []),  # no balance yet
        (SCORES, [(day, Decimal(0)) for day in MONTHS]),  # nothing left
        (SCORES, [(day, Decimal("1333000.50")) for day in MONTHS]),  # not a yuan of change
    ],
    ids=["zero scores", "two months", "one month", "no history", "zero assets", "flat"],
)
def test_short_or_flat_histories_and_zero_scores_render(
    scores: list[tuple[Dimension, float]], trend: list[tuple[date, Decimal]]
) -> None:
    for locale in ("en", "zh_Hans"):
        png = _drawn_without_missing_glyphs(partial(charts.summary_chart, scores, trend, key="C9", locale=locale))
        assert _image(png) == ("PNG", (1000, 500))
    texts = [text.get_text() for text in _texts(charts._figure(scores, trend, "en"))]
    if not trend:
        assert "No monthly balances yet" in texts
    elif len(trend) == 2:
        assert {"Sep\n2026", "Oct"} <= set(texts)
    amounts = [text for text in texts if text[:1].isdigit() and "\n" not in text and text not in "25 50 75 100"]
    assert len(amounts) == len(set(amounts))  # the scale's ticks read apart


async def test_charts_drawn_in_threads_at_once_are_each_drawn_once(renders: list[str]) -> None:
    """As a handler draws them, off the event loop: each in a thread of its own, with the update's catalogs."""
    keys = [(f"C{number}", locale) for number in range(3) for locale in ("en", "zh_Hans")]
    pngs = await asyncio.gather(*(
        asyncio.to_thread(charts.summary_chart, SCORES, TREND, key=key, locale=locale) for key, locale in keys * 2))
    assert all(_image(png) == ("PNG", (1000, 500)) for png in pngs)
    assert sorted(renders) == sorted(locale for _, locale in keys)


async def test_a_chart_being_drawn_holds_up_no_one_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """One adviser's first chart must not stall every other update: while it is drawn in its thread, the loop asks
    for cached charts, and gets them, at once."""
    cached = charts.summary_chart(SCORES, TREND, key="C-viewed", locale="en")
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    render = charts._render

    def held_up(*args: Any) -> bytes:
        started.set()
        release.wait(timeout=60)  # a safety net only: set below, once the loop has been served
        finished.set()
        return render(*args)

    monkeypatch.setattr(charts, "_render", held_up)
    drawing = asyncio.ensure_future(asyncio.to_thread(charts.summary_chart, SCORES, TREND, key="C-new", locale="en"))
    try:
        assert await asyncio.to_thread(started.wait, 60)
        # On the event loop's thread, with the drawing still held up:
        assert charts.chart_cached("C-viewed", "en") is cached
        assert charts.chart_cached("C-new", "en") is None
        assert charts.summary_chart(SCORES, TREND, key="C-viewed", locale="en") is cached
        assert not finished.is_set()
    finally:
        release.set()
    assert _image(await drawing) == ("PNG", (1000, 500))
    assert charts.chart_cached("C-new", "en") is not None

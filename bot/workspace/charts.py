"""Charts for staff, as PNGs in the reader's language: the summary's (a radar of the five dimension scores beside the
12-month line of the client's assets) and a campaign's NPS by tier.

Drawn with matplotlib's object-oriented API on the Agg canvas only: each chart is a `Figure` of its own, with fonts
passed to each text rather than set in the global rcParams, so charts can be drawn in threads. Chinese labels need a
CJK font (Debian's fonts-noto-cjk in the image); without one the chart is drawn with English labels rather than
boxes, and the log says so once. A chart is cached by its key and locale: a second view costs no drawing.

Drawing takes tens of milliseconds, so it happens in a thread, one chart at a time (matplotlib's font objects are
shared between figures); the cache has a lock of its own, held only to look up or store, so the event loop can ask
for a cached chart while another is being drawn.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from io import BytesIO
from textwrap import fill
from typing import TYPE_CHECKING, Final

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal, format_decimal, get_currency_symbol
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from bot.config import get_settings
from bot.i18n import gettext as _
from bot.i18n import ngettext, use_locale
from bot.i18n.vocabulary import dimension_name, tier_name
from tiering import Dimension, TierRules

if TYPE_CHECKING:
    from bot.campaigns.report import Group

__all__ = ["CACHE_SIZE", "chart_cached", "cjk_font_family", "nps_by_tier_chart", "summary_chart"]

logger = logging.getLogger("tierbot.workspace")

CACHE_SIZE: Final = 256
WIDTH, HEIGHT, DPI = 10, 5, 100  # inches at DPI: 1000 x 500 px, two panels a phone shows side by side
NPS_WIDTH, NPS_HEIGHT = 8, 5  # 800 x 500 px: a handful of bars

# Fonts that hold the Simplified Chinese glyphs, those drawn for mainland readers first.
CJK_FAMILIES: Final = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Noto Sans CJK TC", "Noto Sans CJK JP", "Source Han Sans",
)  # fmt: skip
LATIN_FAMILY: Final = "DejaVu Sans"  # matplotlib's own, always there
CJK_LOCALES: Final = frozenset({"zh_Hans", "zh_Hant"})

_SCALE: Final = (25, 50, 75, 100)
LINE_COLOUR, FILL_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#1f5f99", "#6fa8dc", "#c8ced6", "#2b2b2b"
NEGATIVE_COLOUR, NOTE_COLOUR = "#c0504d", "#7a7a7a"

_cache: OrderedDict[tuple[Hashable, str], bytes] = OrderedDict()
_cache_lock = threading.Lock()  # the cache's alone, held for microseconds: the event loop may take it
_drawing = threading.Lock()  # held while a chart is drawn, so only ever taken in a drawing thread


def summary_chart(
    dimension_scores: Sequence[tuple[Dimension, float]],
    aum_trend: Sequence[tuple[date, Decimal]],
    *,
    key: Hashable,
    locale: str,
) -> bytes:
    """The PNG of a client's chart: their dimension scores (0-100) and monthly average AUM (oldest month first).

    `key` names what the figures are of (the client and the snapshot they come from): the same key and locale give
    the cached PNG without drawing again, so a key must change whenever the figures do. A chart not cached is drawn
    here: call this in a thread unless `chart_cached` has just given the PNG.
    """
    return _cached_or_drawn(key, locale, lambda: _render(dimension_scores, aum_trend, locale))


def nps_by_tier_chart(groups: Sequence[Group], locale: str, *, rules: TierRules) -> bytes:
    """The PNG of a survey question's NPS by tier (`Report.nps_by_tier()`, lowest tier first): a bar per tier with
    its NPS and its count of answers, on an axis from -100 to 100 with its 0 line; a tier with too few answers for
    a score gets its count and no bar. Cached by the figures, the rules and the locale; draws when not cached (in
    a thread, from the event loop)."""
    key = ("nps_by_tier", rules.digest(), tuple((group.key, group.score.counts) for group in groups))
    return _cached_or_drawn(key, locale, lambda: _png(_nps_figure(groups, locale, rules)))


def _cached_or_drawn(key: Hashable, locale: str, draw: Callable[[], bytes]) -> bytes:
    png = chart_cached(key, locale)
    if png is not None:
        return png
    with _drawing:  # one drawing at a time; a thread that waited here for the same chart finds it cached
        png = chart_cached(key, locale)
        if png is None:
            png = draw()
            _remember((key, locale), png)
    return png


def chart_cached(key: Hashable, locale: str) -> bytes | None:
    """The PNG of `key` in `locale` if it is cached, else None; never draws, nor waits for a drawing."""
    with _cache_lock:
        png = _cache.get((key, locale))
        if png is not None:
            _cache.move_to_end((key, locale))
        return png


def _remember(cache_key: tuple[Hashable, str], png: bytes) -> None:
    with _cache_lock:
        _cache[cache_key] = png
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _render(dimension_scores: Sequence[tuple[Dimension, float]], aum_trend: Sequence[tuple[date, Decimal]],
            locale: str) -> bytes:
    return _png(_figure(dimension_scores, aum_trend, locale))


def _png(figure: Figure) -> bytes:
    buffer = BytesIO()
    FigureCanvasAgg(figure)  # the figure's canvas from now on: Agg, whatever backend pyplot would pick
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _families(locale: str) -> tuple[list[str], str]:
    """The font families for labels in `locale`, and the locale to label in: English where the machine has no font
    for it."""
    families = [LATIN_FAMILY]
    if locale in CJK_LOCALES:
        if (cjk := cjk_font_family()) is None:
            return families, "en"
        families.insert(0, cjk)
    return families, locale


def _figure(dimension_scores: Sequence[tuple[Dimension, float]], aum_trend: Sequence[tuple[date, Decimal]],
            locale: str) -> Figure:
    """The chart as a Figure, its labels in `locale`, else in English where the machine has no font for them."""
    families, locale = _families(locale)
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    with use_locale(locale):
        figure.text(0.26, 0.92, _("Dimension scores"), ha="center", fontproperties=_font(families, 16),
                    color=TEXT_COLOUR)
        _radar(figure.add_axes((0.13, 0.1, 0.26, 0.66)), dimension_scores, families, locale)
        currency = get_currency_symbol(get_settings().firm.base_currency, locale=locale)
        figure.text(0.75, 0.92, _("Monthly average assets ({currency})").format(currency=currency), ha="center",
                    fontproperties=_font(families, 16), color=TEXT_COLOUR)
        _assets(figure.add_axes((0.55, 0.15, 0.42, 0.68)), aum_trend, families, locale)
    return figure


def _font(families: list[str], size: float) -> FontProperties:
    """Regular weight only: the CJK fonts a machine has often come in that weight alone."""
    return FontProperties(family=families, size=size)


def _radar(axes: Axes, dimension_scores: Sequence[tuple[Dimension, float]], families: list[str], locale: str) -> None:
    """Drawn on plain axes, in score units: a polar projection's tick machinery would take half the chart's time."""
    count = len(dimension_scores)
    angles = [math.pi / 2 - 2 * math.pi * index / count for index in range(count)]  # clockwise from the top
    scores = [min(max(float(score), 0.0), 100.0) for _dimension, score in dimension_scores]
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.set_xlim(-100, 100)
    axes.set_ylim(-100, 100)
    circle = [math.radians(degree) for degree in range(0, 361, 3)]
    for radius in _SCALE:
        axes.plot([radius * math.cos(t) for t in circle], [radius * math.sin(t) for t in circle], color=GRID_COLOUR,
                  linewidth=0.8)
    for angle in angles:
        axes.plot([0, 100 * math.cos(angle)], [0, 100 * math.sin(angle)], color=GRID_COLOUR, linewidth=0.8)
    xs = [score * math.cos(angle) for score, angle in zip(scores, angles, strict=True)]
    ys = [score * math.sin(angle) for score, angle in zip(scores, angles, strict=True)]
    axes.fill(xs, ys, color=FILL_COLOUR, alpha=0.35)
    axes.plot([*xs, xs[0]], [*ys, ys[0]], color=LINE_COLOUR, linewidth=2)
    between = angles[0] - math.pi / count  # the scale halfway between two spokes, clear of both
    for radius in _SCALE:
        axes.text(radius * math.cos(between), radius * math.sin(between), format_decimal(radius, locale=locale),
                  ha="center", va="center", fontproperties=_font(families, 9), color="#8a8a8a")
    for (dimension, _given), score, angle in zip(dimension_scores, scores, angles, strict=True):
        across, up = math.cos(angle), math.sin(angle)
        axes.text(112 * across, 112 * up,
                  f"{fill(dimension_name(dimension), width=12)}\n{format_decimal(round(score), locale=locale)}",
                  ha="left" if across > 0.2 else "right" if across < -0.2 else "center",  # away from the circle
                  va="bottom" if up > 0.9 else "top" if up < -0.5 else "center", multialignment="center",
                  fontproperties=_font(families, 12), color=TEXT_COLOUR)


def _assets(axes: Axes, aum_trend: Sequence[tuple[date, Decimal]], families: list[str], locale: str) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    if not aum_trend:
        axes.set_xticks([])
        axes.set_yticks([])
        axes.text(0.5, 0.5, _("No monthly balances yet"), transform=axes.transAxes, ha="center", va="center",
                  fontproperties=_font(families, 13), color="#7a7a7a")
        return
    days = [day.toordinal() for day, _amount in aum_trend]
    amounts = [float(amount) for _day, amount in aum_trend]  # positions on the plot only; labels come from Babel
    low, high = min(amounts), max(amounts)
    spread = high - low or max(high * 0.1, 10_000.0)  # a flat line: a scale around it, in whole amounts
    ticks = list(MaxNLocator(nbins=5).tick_values(max(low - spread * 0.15, 0), high + spread * 0.15))
    axes.set_ylim(ticks[0], ticks[-1])
    axes.plot(days, amounts, color=LINE_COLOUR, linewidth=2.5, marker="o", markersize=5)
    if len(days) > 1:
        axes.fill_between(days, amounts, ticks[0], color=FILL_COLOUR, alpha=0.2)
    axes.set_yticks(ticks, _amount_labels(ticks, locale), fontproperties=_font(families, 11), color=TEXT_COLOUR)
    axes.set_xticks(days, _month_labels([day for day, _amount in aum_trend], locale),
                    fontproperties=_font(families, 10), color=TEXT_COLOUR)
    margin = max((days[-1] - days[0]) * 0.04, 10)
    axes.set_xlim(days[0] - margin, days[-1] + margin)
    axes.grid(axis="y", color=GRID_COLOUR, linewidth=0.8)
    axes.tick_params(length=0)


def _nps_figure(groups: Sequence[Group], locale: str, rules: TierRules) -> Figure:
    families, locale = _families(locale)
    figure = Figure(figsize=(NPS_WIDTH, NPS_HEIGHT), dpi=DPI, facecolor="white")
    with use_locale(locale):
        figure.text(0.5, 0.92, _("NPS by tier"), ha="center", fontproperties=_font(families, 16), color=TEXT_COLOUR)
        figure.text(0.5, 0.03, _("NPS: the percentage of promoters (9–10) minus that of detractors (0–6)"), ha="center",
                    fontproperties=_font(families, 10), color=NOTE_COLOUR)
        _nps_bars(figure.add_axes((0.1, 0.2, 0.86, 0.64)), groups, rules, families, locale)
    return figure


def _nps_bars(axes: Axes, groups: Sequence[Group], rules: TierRules, families: list[str], locale: str) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_ylim(-100, 100)
    ticks = [-100, -50, 0, 50, 100]
    axes.set_yticks(ticks, [format_decimal(tick, format="#,##0;−#,##0", locale=locale) for tick in ticks],
                    fontproperties=_font(families, 11), color=TEXT_COLOUR)
    axes.grid(axis="y", color=GRID_COLOUR, linewidth=0.8)
    axes.axhline(0, color=TEXT_COLOUR, linewidth=1.2)
    axes.tick_params(length=0)
    positions = list(range(len(groups)))
    axes.set_xlim(-0.6, max(len(groups), 1) - 0.4)
    names = [fill(tier_name(rules, g.key) if g.key and rules.rank(g.key) is not None else g.key or _("not known"),
                  width=14) for g in groups]
    axes.set_xticks(positions, names, fontproperties=_font(families, 12), color=TEXT_COLOUR)
    if not groups:
        axes.text(0.5, 0.75, _("No answers yet"), transform=axes.transAxes, ha="center", va="center",
                  fontproperties=_font(families, 13), color=NOTE_COLOUR)
    for position, group in zip(positions, groups, strict=True):
        score = group.score
        answers = ngettext("{count} answer", "{count} answers", score.answers).format(
            count=format_decimal(score.answers, locale=locale))
        if score.nps is None:
            axes.text(position, 6, _("too few answers") + "\n" + answers, ha="center", va="bottom", linespacing=1.5,
                      fontproperties=_font(families, 10), color=NOTE_COLOUR)
            continue
        nps = score.nps
        axes.bar(position, nps, width=0.6, color=LINE_COLOUR if nps >= 0 else NEGATIVE_COLOUR)
        up = nps >= 0
        axes.text(position, nps + (3 if up else -3), _signed(nps, locale), ha="center", va="bottom" if up else "top",
                  fontproperties=_font(families, 13), color=TEXT_COLOUR)
        axes.text(position, -3 if up else 3, answers, ha="center", va="top" if up else "bottom",
                  fontproperties=_font(families, 10), color=NOTE_COLOUR)


def _signed(value: float, locale: str) -> str:
    """A score with its sign, as the reader writes numbers: "+25", "−10", "0"."""
    return "0" if abs(value) < 0.5 else format_decimal(value, format="+#,##0;−#,##0", locale=locale)


def _amount_labels(ticks: Sequence[float], locale: str) -> list[str]:
    """Each tick abbreviated as the reader writes it ("1.2M", "120万"), exact to a ten-thousandth of its unit
    (Babel drops the trailing zeros), so that ticks equally spaced read equally spaced."""
    return [format_compact_decimal(tick, format_type="short", locale=locale, fraction_digits=4) for tick in ticks]


def _month_labels(days: Sequence[date], locale: str) -> list[str]:
    """Each month's short name ("Jan", "1月"), with the year under the first month and under each January."""
    return [
        format_skeleton("MMM", day, locale=locale)
        + (f"\n{format_skeleton('y', day, locale=locale)}" if index == 0 or day.month == 1 else "")
        for index, day in enumerate(days)
    ]


@cache
def cjk_font_family() -> str | None:
    """The family of a CJK font matplotlib can use, looked up once; None, with a warning in the log, if there is
    none."""
    family = _find_cjk_family()
    if family is None:
        logger.warning("no CJK font found: Chinese labels will not render; install fonts-noto-cjk "
                       "(charts for Chinese readers are drawn with English labels meanwhile)")
    return family


def _find_cjk_family() -> str | None:
    family = _preferred(CJK_FAMILIES, {entry.name for entry in font_manager.fontManager.ttflist})
    if family is None:
        _register_fonts_installed_since()
        family = _preferred(CJK_FAMILIES, {entry.name for entry in font_manager.fontManager.ttflist})
    return family


def _preferred(wanted: Sequence[str], installed: set[str]) -> str | None:
    return next((family for family in wanted if family in installed), None)


def _register_fonts_installed_since() -> None:
    """Add the system's fonts that matplotlib's font cache does not know: it is built once, and a font installed
    after that (apt-get install fonts-noto-cjk) stays unknown to it otherwise."""
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except Exception as error:  # a broken font file is skipped, as matplotlib's own scan skips it
                logger.debug("font %s skipped: %s", path, type(error).__name__)

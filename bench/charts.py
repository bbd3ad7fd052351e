"""The summary's chart: how long the first drawing of a client's chart takes, and a cached one.

    .venv/bin/python bench/charts.py [--charts 200] [--views 10000] [--seed 1]

Draws --charts charts of made-up clients (five scores, 12 months of assets) in each language, each drawn for the
first time, then asks --views times for charts already drawn. Prints the p50 and p99 of both, in milliseconds,
against the goals (first < 150 ms, cached < 5 ms), and the font the Chinese labels were drawn in; for the first
drawings also the process's CPU time, which other work on a shared machine inflates less than the wall clock. No
database is involved: the chart takes the figures the summary has already read. The collector is set as `tierbot`
sets it on start (bench/harness.py: start_child).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date
from decimal import Decimal

from harness import start_child

from bot.telegram import create_i18n
from bot.workspace import charts
from tiering import Dimension

FIRST_GOAL_MS, CACHED_GOAL_MS = 150, 5
MONTH_ENDS = [date(2025, 11, 30), date(2025, 12, 31), *(date(2026, month, 28) for month in range(1, 11))]


def _client(pick: random.Random) -> tuple[list[tuple[Dimension, float]], list[tuple[date, Decimal]]]:
    scores = [(dimension, pick.uniform(0, 100)) for dimension in Dimension]
    aum = pick.lognormvariate(12.5, 1.2)
    trend = []
    for day in MONTH_ENDS:
        aum *= pick.uniform(0.93, 1.08)
        trend.append((day, Decimal(round(aum, 2)).quantize(Decimal("0.01"))))
    return scores, trend


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charts", type=int, default=200)
    parser.add_argument("--views", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start_child()  # as `tierbot` starts, its modules (matplotlib's among them) loaded
    pick = random.Random(args.seed)
    clients = [_client(pick) for _ in range(args.charts)]
    with create_i18n("en").context():
        print(f"Chinese labels drawn in: {charts.cjk_font_family() or 'no CJK font (English labels)'}")
        charts.summary_chart(*clients[0], key="warm-up", locale="en")  # the fonts loaded once, as in a bot process
        for locale in ("en", "zh_Hans"):
            first, first_cpu = [], []
            for number in range(args.charts):
                started, started_cpu = time.perf_counter(), time.process_time()
                charts.summary_chart(*clients[number], key=(locale, number), locale=locale)
                first.append(time.perf_counter() - started)
                first_cpu.append(time.process_time() - started_cpu)
            cached = []
            recent = range(max(args.charts - charts.CACHE_SIZE // 2, 0), args.charts)  # still in the cache
            for _ in range(args.views):
                number = pick.choice(recent)
                started = time.perf_counter()
                charts.summary_chart(*clients[number], key=(locale, number), locale=locale)
                cached.append(time.perf_counter() - started)
            (first_p50, first_p99), (cpu_p50, cpu_p99) = _percentiles(first), _percentiles(first_cpu)
            cached_p50, cached_p99 = _percentiles(cached)
            print(f"{locale:8} first drawing p50 {first_p50:6.1f} ms, p99 {first_p99:6.1f} ms (CPU p50 {cpu_p50:.1f}, "
                  f"p99 {cpu_p99:.1f}; goal < {FIRST_GOAL_MS}); cached p50 {cached_p50:.4f} ms, "
                  f"p99 {cached_p99:.4f} ms (goal < {CACHED_GOAL_MS})")


if __name__ == "__main__":
    main()

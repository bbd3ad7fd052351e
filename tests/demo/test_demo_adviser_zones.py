"""The demo's advisers sit in realistic time zones: most at the head office in Shanghai, some in Hong Kong and
Singapore, a few in London."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np

from bot.config import is_time_zone
from bot.demo import generate_demo_data
from bot.demo.clients import CLIENTS_PER_ADVISER, Advisers


def test_advisers_are_mostly_in_shanghai_some_elsewhere() -> None:
    advisers = Advisers.draw(np.random.default_rng(11), 400 * CLIENTS_PER_ADVISER)
    zones = Counter(advisers.timezones)
    assert all(is_time_zone(zone) for zone in zones)
    assert set(zones) == {"Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Europe/London"}
    assert 0.65 <= zones["Asia/Shanghai"] / 400 <= 0.85
    assert zones["Europe/London"] < zones["Asia/Hong_Kong"]
    # London's desk speaks English.
    assert all(not zh for zh, zone in zip(advisers.zh.tolist(), advisers.timezones, strict=True)
               if zone == "Europe/London")


def test_the_zone_is_written_and_the_same_seed_writes_the_same(tmp_path: Path) -> None:
    for name in ("first", "again"):
        generate_demo_data(tmp_path / name, clients=600, seed=4, as_of=date(2026, 10, 31))
    first, again = ((tmp_path / name / "advisers.csv").read_bytes() for name in ("first", "again"))
    assert first == again
    with (tmp_path / "first" / "advisers.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 4
    assert all(is_time_zone(row["timezone"]) for row in rows)

"""`tierbot digest`, run as an operator runs it: queue the alerts that waited for an adviser to bind, and with
--dry-run show each adviser, in their language, the digest the sender would send next, writing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.alerting import QUIET_OFF, RULES, bind_adviser, book_with_upgrades

from bot.db.models import Adviser, Alert, OutboxMessage
from bot.scoring import score_clients

pytestmark = pytest.mark.db


def tierbot(*args: str, cwd: Path, database_url: str, locale: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env.update(TIERBOT_DEFAULT_LOCALE=locale, TIERBOT_DATABASE_URL=database_url,
               TIERBOT_DELIVERY_QUIET_HOURS="off", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


async def _written(engine: AsyncEngine) -> tuple[int, int]:
    """Digests in the outbox, and alerts in a digest."""
    async with engine.connect() as connection:
        digests = (await connection.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
        carried = (await connection.execute(
            select(func.count()).select_from(Alert).where(Alert.outbox_id.is_not(None)))).scalar_one()
    return digests, carried


async def test_digest_queues_what_waited_and_the_dry_run_shows_it_writing_nothing(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    book = await book_with_upgrades(engine, tmp_path, advisers=3)
    chinese, english, unbound = book.advisers
    async with engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == chinese).values(locale="zh_Hans"))
        await connection.execute(update(Adviser).where(Adviser.adviser_id == english).values(locale="en"))
    await bind_adviser(engine, chinese, user_id=7_200_001)
    await score_clients(engine, RULES, schedule=QUIET_OFF)  # the Chinese-reading adviser's digest is queued
    await bind_adviser(engine, english, user_id=7_200_002)  # bound since: theirs waits for `tierbot digest`
    assert await _written(engine) == (1, 2)

    dry = tierbot("digest", "--dry-run", cwd=tmp_path, database_url=database_url)
    assert dry.returncode == 0, dry.stderr
    assert await _written(engine) == (1, 2)
    out = dry.stdout
    assert out.startswith("The sender would send 2 digests next:\n")
    assert f"To adviser {chinese} (Telegram account 7200001), in Chinese (Simplified): in the outbox, goes at " \
           "once." in out
    assert f"To adviser {english} (Telegram account 7200002), in English: to be queued by “tierbot digest” or the " \
           "next scoring run, goes at once." in out
    for shown in ("您名下客户的变动", "Changes in your book", "⬆️ 升级（2 位）", "⬆️ Moved up a tier (2)"):
        assert shown in out
    for client_id in book.upgraded[chinese] + book.upgraded[english]:
        assert f" · {client_id}]" in out  # its button
    assert unbound not in out
    assert out.endswith("Dry run: nothing was written or sent.\n")

    queued = tierbot("digest", cwd=tmp_path, database_url=database_url)
    assert queued.returncode == 0, queued.stderr
    assert queued.stdout.splitlines() == [
        "Queued 1 adviser digest.",
        "2 alerts wait for advisers the bot cannot reach (not bound in Telegram yet: “tierbot invite adviser ID”; "
        "or they blocked the bot); each goes into its adviser's next digest."]
    assert await _written(engine) == (2, 4)
    again = tierbot("digest", cwd=tmp_path, database_url=database_url, locale="zh_Hans")
    assert again.stdout.splitlines()[0] == "已将 0 份提醒摘要加入待发队列。"
    assert await _written(engine) == (2, 4)

    both = tierbot("digest", "--dry-run", cwd=tmp_path, database_url=database_url, locale="zh_Hans")
    assert both.stdout.count("：已在待发队列中，立即发送。") == 2


async def test_a_dry_run_with_nothing_waiting_says_so(engine: AsyncEngine, database_url: str, tmp_path: Path
                                                      ) -> None:
    await book_with_upgrades(engine, tmp_path, advisers=1)
    result = tierbot("digest", "--dry-run", cwd=tmp_path, database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Nothing to send: no digest waits in the outbox, and no adviser bound in Telegram has alerts waiting.",
        "Dry run: nothing was written or sent."]

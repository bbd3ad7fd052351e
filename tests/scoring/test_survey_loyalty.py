"""A survey answer enters the client's loyalty at the next scoring run: the latest answer up to the run's day, its
rating scaled to 0..1 by its scale (NPS 0-10, CSAT 1-5, CES 1-7); an answer after the run's day waits for a later
run."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.paths import GOOD_IMPORT

from bot.db.models import Campaign, CampaignKind, CampaignStatus, SurveyAnswer, SurveyScale, TierSnapshot, TierState
from bot.importer import import_path
from bot.scoring import load_rules, score_clients
from bot.scoring.features import Window, chunk_facts

pytestmark = pytest.mark.db

RULES = load_rules(None)
AS_OF = date(2026, 10, 31)  # the small firm's latest statement


async def _loyalty(engine: AsyncEngine) -> dict[str, float]:
    async with engine.connect() as connection:
        return dict((await connection.execute(select(TierState.client_id, TierState.loyalty_score))).all())


async def _survey_facts(engine: AsyncEngine, as_of: date) -> dict[str, float | None]:
    async with engine.connect() as connection:
        facts = await chunk_facts(connection, Window(as_of, RULES.history_months), "C00001", "C00003", {})
    return {f.client_id: f.survey_score for f in facts}


def _answer(campaign_id: int, client_id: str, scale: SurveyScale, rating: int, at: datetime) -> dict[str, object]:
    return {"campaign_id": campaign_id, "client_id": client_id, "question": str(scale), "scale": scale,
            "rating": rating, "answered_at": at}


async def test_a_survey_answer_changes_loyalty_at_the_next_run(engine: AsyncEngine, tmp_path: Path) -> None:
    shutil.copytree(GOOD_IMPORT, tmp_path / "firm")
    await import_path(engine, tmp_path / "firm", actor="tests")
    first = await score_clients(engine, RULES, as_of=AS_OF)
    # Too few clients for the churn model: loyalty is the mean of tenure, net flows and (once known) the survey.
    assert first.churn_model is None
    before = await _loyalty(engine)
    async with engine.connect() as connection:
        explained = (await connection.execute(select(TierSnapshot.client_id, TierSnapshot.explanation))).all()
    for _client, explanation in explained:
        reasons = {r["fact"]: r["value"] for r in explanation["dimensions"]["loyalty"]["reasons"]}
        assert reasons["survey_score"] is None
        assert reasons["p_alive"] is None

    async with engine.begin() as connection:
        campaign_id = (await connection.execute(insert(Campaign).values(
            kind=CampaignKind.SURVEY, template="relationship_nps", audience="", status=CampaignStatus.CLOSED,
            created_by="tests", created_at=datetime(2026, 9, 1, tzinfo=UTC)).returning(Campaign.id))).scalar_one()
        await connection.execute(insert(SurveyAnswer), [
            _answer(campaign_id, "C00001", SurveyScale.NPS, 7, datetime(2026, 10, 30, 10, tzinfo=UTC)),
            # After the run's day (its first moment after): not counted by a run as of AS_OF.
            _answer(campaign_id, "C00001", SurveyScale.CSAT, 1, datetime(2026, 11, 1, tzinfo=UTC)),
            # A survey of several questions counts as the mean of its answers, up to the run day's last second.
            _answer(campaign_id, "C00002", SurveyScale.NPS, 1, datetime(2026, 9, 1, tzinfo=UTC)),
            _answer(campaign_id, "C00002", SurveyScale.CSAT, 4, datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC)),
            _answer(campaign_id, "C00003", SurveyScale.CES, 5, datetime(2026, 10, 15, tzinfo=UTC)),
        ])
    scaled = {"C00001": 7 / 10, "C00002": (1 / 10 + (4 - 1) / 4) / 2, "C00003": (5 - 1) / 6}
    assert await _survey_facts(engine, AS_OF) == pytest.approx(scaled)

    await score_clients(engine, RULES, as_of=AS_OF)
    after = await _loyalty(engine)
    for client_id, survey_score in scaled.items():
        # Two parts before, three now: (2 * before + 100 * score) / 3.
        assert after[client_id] == pytest.approx((2 * before[client_id] + 100 * survey_score) / 3)
        assert after[client_id] != pytest.approx(before[client_id])

    # A run as of a later day reads the answer given after AS_OF too: C00001's CSAT of 1, the lowest, is 0.
    later = await _survey_facts(engine, date(2026, 11, 30))
    assert later == pytest.approx({**scaled, "C00001": (7 / 10 + 0.0) / 2})

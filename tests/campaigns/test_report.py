"""A campaign's report against figures worked out by hand: delivery, response rate, NPS, CSAT and CES overall and by
tier, language, adviser and segment, the small-group rule, the comments, a strategy message's unsubscribes, the
CSV, and the NPS-by-tier chart."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import noto_cjk_sans_otc
import pytest
from matplotlib import font_manager
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine
from support.campaign_results import (
    STARTED,
    TEST_SURVEYS,
    Answer,
    Recipient,
    add_answers,
    add_campaign,
    add_firm,
    refuse_marketing,
)

from bot.campaigns import content
from bot.campaigns.report import CampaignNotFound, Report, Score, campaign_report, write_csv
from bot.db.models import CampaignKind, CampaignStatus, OutboxStatus, SurveyScale
from bot.i18n import render, use_locale
from bot.scoring import load_rules
from bot.workspace import charts

pytestmark = pytest.mark.db

NPS, CSAT, CES = SurveyScale.NPS, SurveyScale.CSAT, SurveyScale.CES
RULES = load_rules(None)
NOW = STARTED + timedelta(days=3)
SENT = OutboxStatus.SENT



def _segments(asset: str, loyalty: str) -> dict[str, str]:
    return {"asset_size": asset, "loyalty": loyalty}


# Twenty recipients: C01-C10 and C17-C20 delivered; C11 unreachable, C12 failed, C13 unknown (but it answered),
# C14 pending, C15 being sent, C16 not queued yet.
RECIPIENTS = [
    Recipient("C01", "mid", "en", "A1", _segments("mid", "loyal")),
    Recipient("C02", "mid", "en", "A1", _segments("mid", "loyal")),
    Recipient("C03", "mid", "zh_Hans", "A1", _segments("mid", "loyal")),
    Recipient("C04", "mid", "zh_Hans", "A2", _segments("mid", "potential_churn")),
    Recipient("C05", "mid", "en", "A2", _segments("mid", "loyal")),
    Recipient("C06", "mid", "zh_Hans", "A2", _segments("mid", "potential_churn")),
    Recipient("C07", "ordinary", "en", "A1", _segments("ordinary", "loyal")),
    Recipient("C08", "ordinary", "zh_Hans", "A1", _segments("ordinary", "loyal")),
    Recipient("C09", "ordinary", "zh_Hans", "A2", _segments("ordinary", "potential_churn")),
    Recipient("C10", "high_net_worth", "zh_Hant", "A1", _segments("high_net_worth", "loyal")),
    Recipient("C11", status=OutboxStatus.UNREACHABLE),
    Recipient("C12", locale="zh_Hans", adviser_id="A2", status=OutboxStatus.FAILED),
    Recipient("C13", "mid", "en", "A1", _segments("mid", "potential_churn"), status=OutboxStatus.UNKNOWN),
    Recipient("C14", status=OutboxStatus.PENDING),
    Recipient("C15", locale="zh_Hans", adviser_id="A2", status=OutboxStatus.SENDING),
    Recipient("C16", "mid", status=None),
    *(Recipient(f"C{n}") for n in range(17, 21)),
]


def _at(minutes: int) -> datetime:
    return STARTED + timedelta(hours=2, minutes=minutes)


ANSWERS = [
    *(Answer(client, "recommend", NPS, rating, _at(index), comment) for index, (client, rating, comment) in enumerate([
        ("C01", 10, None), ("C02", 9, None), ("C03", 8, None), ("C04", 6, "Fees too high"),
        ("C05", 10, None), ("C06", 3, '=HYPERLINK("http://example.com","click")'), ("C07", 7, None),
        ("C08", 9, "服务很好，谢谢"), ("C09", 0, None), ("C10", 10, None), ("C13", 9, None)])),
    *(Answer(client, "satisfied", CSAT, rating, _at(30 + index)) for index, (client, rating) in enumerate([
        ("C01", 5), ("C02", 4), ("C03", 3), ("C04", 2), ("C05", 5), ("C07", 4)])),
    *(Answer(client, "effort", CES, rating, _at(60 + index)) for index, (client, rating) in enumerate([
        ("C01", 7), ("C02", 6), ("C03", 5), ("C04", 1), ("C05", 4)])),
    Answer("C07", "effort", CES, 1, NOW + timedelta(hours=1)),  # after the report's moment: not counted
]


@pytest.fixture
def surveys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The survey files, a copy of the tests' (the three-question "check"), in place of templates/surveys/."""
    folder = tmp_path / "surveys"
    shutil.copytree(TEST_SURVEYS, folder)
    monkeypatch.setattr(content, "SURVEYS_DIR", folder)
    return folder


@pytest.fixture
async def survey(engine: AsyncEngine, surveys: Path) -> int:
    async with engine.begin() as connection:
        await add_firm(connection, [r.client_id for r in RECIPIENTS])
        campaign_id = await add_campaign(connection, CampaignKind.SURVEY, "check", RECIPIENTS)
        await add_answers(connection, campaign_id, ANSWERS)
    return campaign_id


async def _report(engine: AsyncEngine, campaign_id: int, now: datetime = NOW) -> Report:
    async with engine.connect() as connection:
        return await campaign_report(connection, campaign_id, now=now, rules=RULES)


def _nps(score: Score) -> tuple[int, int, int, int, float | None]:
    return score.answers, score.promoters, score.passives, score.detractors, score.nps


async def test_delivery_and_the_response_rate(engine: AsyncEngine, survey: int) -> None:
    report = await _report(engine, survey)
    assert (report.kind, report.template, report.status) == (CampaignKind.SURVEY, "check", CampaignStatus.RUNNING)
    assert report.titles == {"en": "Service check", "zh_Hans": "服务回访", "zh_Hant": "服務回訪"}
    d = report.delivery
    assert (d.recipients, d.delivered, d.unreachable, d.failed, d.unknown, d.pending) == (20, 14, 1, 1, 1, 3)
    assert report.survey is not None
    # 11 answered (C01-C10, C13); reached: the 14 delivered and C13, whose answer proves the message arrived.
    assert (report.survey.responded, report.survey.reached, report.survey.unconfirmed) == (11, 15, 1)
    assert report.survey.response_rate == pytest.approx(11 / 15)
    assert report.unsubscribes is None


async def test_nps_overall_and_by_group_with_the_small_group_rule(engine: AsyncEngine, survey: int) -> None:
    report = await _report(engine, survey)
    assert report.survey is not None
    recommend, satisfied, effort = report.survey.questions
    assert (recommend.id, recommend.scale, recommend.texts) == ("recommend", NPS, {
        "en": "Would you recommend us?", "zh_Hans": "您会推荐我们吗？", "zh_Hant": "您會推薦我們嗎？"})
    # Promoters C01 C02 C05 C08 C10 C13, passives C03 C07, detractors C04 C06 C09: (6 - 3) / 11.
    assert _nps(recommend.overall) == (11, 6, 2, 3, pytest.approx(300 / 11))
    assert [b.by for b in recommend.breakdowns] == ["tier", "locale", "adviser", "asset_size", "loyalty"]

    def groups(by: str) -> dict[str | None, tuple[int, int, int, int, float | None]]:
        breakdown = recommend.by(by)
        assert breakdown is not None
        return {group.key: _nps(group.score) for group in breakdown.groups}

    tiers = groups("tier")
    assert list(tiers) == ["ordinary", "mid", "high_net_worth"]  # as the rules rank them
    assert tiers["mid"] == (7, 4, 1, 2, pytest.approx(200 / 7))  # C01 C02 C03 C04 C05 C06 C13
    assert tiers["ordinary"] == (3, 1, 1, 1, None)  # too few for a score
    assert tiers["high_net_worth"] == (1, 1, 0, 0, None)
    # English: C01 C02 C05 C07 C13; Simplified: C03 C04 C06 C08 C09; Traditional: C10 alone.
    assert groups("locale") == {"en": (5, 4, 1, 0, 80.0), "zh_Hans": (5, 1, 1, 3, -40.0),
                                "zh_Hant": (1, 1, 0, 0, None)}
    assert groups("adviser") == {"A1": (7, 5, 2, 0, pytest.approx(500 / 7)), "A2": (4, 1, 0, 3, None)}
    assert groups("asset_size") == {"ordinary": (3, 1, 1, 1, None), "mid": (7, 4, 1, 2, pytest.approx(200 / 7)),
                                    "high_net_worth": (1, 1, 0, 0, None)}
    assert groups("loyalty") == {"loyal": (7, 5, 2, 0, pytest.approx(500 / 7)), "potential_churn": (4, 1, 0, 3, None)}

    # CSAT: 4 of C01 C02 C03 C04 C05 C07 rated 4-5.
    assert (satisfied.overall.answers, satisfied.overall.satisfied) == (6, 4)
    assert satisfied.overall.csat == pytest.approx(4 / 6)
    mid = satisfied.by("tier").groups[1]  # type: ignore[union-attr]
    assert (mid.key, mid.score.answers, mid.score.csat) == ("mid", 5, pytest.approx(3 / 5))
    # CES: 7 6 5 1 4 (C07's later answer is after the report's moment): mean 4.6, 3 of 5 rated 5-7.
    assert (effort.overall.answers, effort.overall.easy) == (5, 3)
    assert effort.overall.mean == pytest.approx(4.6)
    assert effort.overall.easy_share == pytest.approx(0.6)
    assert [(g.key, g.score.answers) for g in effort.by("tier").groups] == [("mid", 5)]  # type: ignore[union-attr]
    assert report.nps_by_tier() == recommend.by("tier").groups  # type: ignore[union-attr]


async def test_the_comments_newest_first(engine: AsyncEngine, survey: int) -> None:
    report = await _report(engine, survey)
    assert report.survey is not None
    assert [(c.client_id, c.question, c.rating, c.text, c.answered_at) for c in report.survey.comments] == [
        ("C08", "recommend", 9, "服务很好，谢谢", _at(7)),
        ("C06", "recommend", 3, '=HYPERLINK("http://example.com","click")', _at(5)),
        ("C04", "recommend", 6, "Fees too high", _at(3)),
    ]
    assert report.survey.comments_total == 3


async def test_the_report_reads_as_of_its_moment(engine: AsyncEngine, survey: int) -> None:
    early = await _report(engine, survey, now=_at(4))  # C01-C05's ratings of the first question only
    assert early.survey is not None
    (recommend,) = early.survey.questions[:1]
    assert _nps(recommend.overall) == (5, 3, 1, 1, 40.0)
    assert [q.overall.answers for q in early.survey.questions] == [5, 0, 0]
    assert early.survey.responded == 5
    assert [c.client_id for c in early.survey.comments] == ["C04"]


async def test_the_report_as_text_in_english_and_chinese(engine: AsyncEngine, survey: int) -> None:
    report = await _report(engine, survey)
    text = render("campaigns/report.html.j2", report=report, rules=RULES, zone="Asia/Shanghai")
    assert text.startswith("<b>Campaign 1: survey “Service check”</b>\nAudience: tier=mid\n"
                           "Running since Nov 2, 2026, 9:00\u202fAM.\nFigures as of Nov 5, 2026, 9:00\u202fAM.\n")
    assert ("<pre>Recipients  20\nDelivered   14\nNot sent     0\nUnreachable  1\nFailed       1\nUnknown      1\n"
            "Pending      3</pre>") in text
    assert "Response rate: 73.3% (11 of 15 clients reached answered at least one question)." in text
    assert "Reached includes 1 client who answered although the send was not confirmed." in text
    assert ("<b>1. Would you recommend us?</b>\n"
            "NPS on 0–10 = the percentage of promoters (9–10) minus that of detractors (0–6)") in text
    assert text.split("<b>1. Would you recommend us?</b>\n")[1].split("\n", 1)[1].split("\n\n")[0] == (
        "<pre>                         n     NPS P/N/D\n"
        "All                     11     +27 6/2/3\n"
        "Tier\n"
        "  Ordinary               3 too few\n"
        "  Mid-tier               7     +29 4/1/2\n"
        "  High-net-worth         1 too few\n"
        "Language\n"
        "  English                5     +80 4/1/0\n"
        "  Chinese (Simplified)   5     -40 1/1/3\n"
        "  Chinese (Traditional)  1 too few\n"
        "Adviser\n"
        "  A1                     7     +71 5/2/0\n"
        "  A2                     4 too few\n"
        "Asset size\n"
        "  ordinary               3 too few\n"
        "  mid                    7     +29 4/1/2\n"
        "  high-net-worth         1 too few\n"
        "Loyalty\n"
        "  loyal                  7     +71 5/2/0\n"
        "  at risk of leaving     4 too few</pre>")
    assert "<b>2. How satisfied are you?</b>\nCSAT on 1–5 = the percentage of answers rated 4 or 5" in text
    assert "All                    6     67%   4\nTier\n  Ordinary             1 too few\n" in text
    assert "<b>3. Was it easy?</b>\nCES on 1–7 (7: easiest) = the mean rating" in text
    assert "All                    5     4.6 60%\n" in text
    assert "• C08 · 9/10 · Nov 2, 2026, 11:07\u202fAM: “服务很好，谢谢”" in text
    assert ("• C06 · 3/10 · Nov 2, 2026, 11:05\u202fAM: "
            "“=HYPERLINK(&#34;http://example.com&#34;,&#34;click&#34;)”") in text

    with use_locale("zh_Hans"):
        chinese = render("campaigns/report.html.j2", report=report, rules=RULES, zone="Asia/Shanghai")
    assert chinese.startswith("<b>活动 1：调查“服务回访”</b>\n")
    assert "回复率：73.3%" in chinese
    assert "<b>1. 您会推荐我们吗？</b>" in chinese
    assert "中文 (简体)" in chinese

    with use_locale("zh_Hant"):
        traditional = render("campaigns/report.html.j2", report=report, rules=RULES, zone="Asia/Shanghai")
    assert traditional.startswith("<b>活動 1：調查「服務回訪」</b>\n")
    assert "回覆率：73.3%" in traditional
    assert "<b>1. 您會推薦我們嗎？</b>" in traditional
    assert "  中文 (簡體)  5  -40    1/1/3\n  中文 (繁體)  1 太少\n" in traditional


async def test_a_strategy_message_s_unsubscribes(engine: AsyncEngine, surveys: Path) -> None:
    sent = STARTED + timedelta(hours=1)
    recipients = [
        Recipient("C21", "mid", "en", sent_at=sent), Recipient("C22", "mid", "zh_Hans", sent_at=sent),
        Recipient("C23", "ordinary", "zh_Hans", sent_at=sent), Recipient("C24", "ordinary", "en", sent_at=sent),
        Recipient("C25", "ordinary", "zh_Hant", sent_at=sent),
        Recipient("C26", "mid", "en", status=OutboxStatus.UNREACHABLE),
    ]
    async with engine.begin() as connection:
        await add_firm(connection, [r.client_id for r in recipients])
        campaign_id = await add_campaign(connection, CampaignKind.STRATEGY, "seminars", recipients)
        await refuse_marketing(connection, "C21", sent + timedelta(days=2))  # counts
        await refuse_marketing(connection, "C22", sent - timedelta(days=1))  # before the message: not after it
        await refuse_marketing(connection, "C23", sent + timedelta(days=15))  # more than 14 days after
        await refuse_marketing(connection, "C24", sent + timedelta(days=1))  # counts, though they came back
        await refuse_marketing(connection, "C24", sent + timedelta(days=2), granted=True)
        await refuse_marketing(connection, "C26", sent + timedelta(days=1))  # never delivered
    report = await _report(engine, campaign_id, now=sent + timedelta(days=20))
    assert report.survey is None
    assert report.titles == {"en": "Seminar invitation", "zh_Hans": "投资讲座邀请", "zh_Hant": "投資講座邀請"}
    assert report.unsubscribes is not None

    def rows(groups: tuple) -> list[tuple[str | None, int, int]]:  # type: ignore[type-arg]
        return [(g.key, g.delivered, g.unsubscribed) for g in groups]

    assert rows((report.unsubscribes.overall,)) == [(None, 5, 2)]
    assert report.unsubscribes.overall.share == pytest.approx(0.4)
    assert rows(report.unsubscribes.by_tier) == [("ordinary", 3, 1), ("mid", 2, 1)]
    assert rows(report.unsubscribes.by_locale) == [("en", 2, 2), ("zh_Hans", 2, 0), ("zh_Hant", 1, 0)]
    earlier = await _report(engine, campaign_id, now=sent + timedelta(days=1, hours=12))  # before C21 refused
    assert earlier.unsubscribes is not None
    assert rows(earlier.unsubscribes.by_tier) == [("ordinary", 3, 1), ("mid", 2, 0)]

    text = render("campaigns/report.html.j2", report=report, rules=RULES, zone="Asia/Shanghai")
    assert "<b>Unsubscribes within 14 days after the message</b>" in text
    assert "All  5  2  40.0%" in " ".join(text.split("<pre>")[-1].split()) or text

    stream = io.StringIO()
    async with engine.connect() as connection:
        assert await write_csv(connection, campaign_id, stream, now=sent + timedelta(days=20), zone="UTC") == 6
    lines = list(csv.reader(io.StringIO(stream.getvalue())))
    assert lines[0][-3:] == ["delivery_status", "sent_at", "unsubscribed_at"]
    assert {line[0]: (line[-3], line[-1]) for line in lines[1:]} == {
        "C21": ("sent", "2026-11-04T02:00:00+00:00"), "C22": ("sent", ""), "C23": ("sent", ""),
        "C24": ("sent", "2026-11-03T02:00:00+00:00"), "C25": ("sent", ""), "C26": ("unreachable", "")}


async def test_the_csv_has_a_row_per_recipient_with_every_answer(engine: AsyncEngine, survey: int) -> None:
    stream = io.StringIO()
    async with engine.connect() as connection:
        assert await write_csv(connection, survey, stream, now=NOW, zone="Asia/Shanghai") == 20
    lines = list(csv.reader(io.StringIO(stream.getvalue())))
    assert lines[0] == ["client_id", "tier", "locale", "adviser_id", "asset_size", "activity", "lifecycle",
                        "complexity", "loyalty", "delivery_status", "sent_at", "recommend_rating",
                        "recommend_comment", "satisfied_rating", "effort_rating", "answered_at"]
    rows = {line[0]: line for line in lines[1:]}
    assert list(rows) == sorted(rows)
    assert len(rows) == 20
    assert rows["C01"] == ["C01", "mid", "en", "A1", "mid", "", "", "", "loyal", "sent", "2026-11-02T09:01:00+08:00",
                           "10", "", "5", "7", "2026-11-02T12:00:00+08:00"]
    assert rows["C06"][11:13] == ["3", "'=HYPERLINK(\"http://example.com\",\"click\")"]  # no formula in Excel
    assert rows["C07"][11:] == ["7", "", "4", "", "2026-11-02T11:35:00+08:00"]  # the answer after NOW left out
    assert rows["C08"][12] == "服务很好，谢谢"
    assert rows["C13"][9:12] == ["unknown", "", "9"]
    assert rows["C16"][9:] == ["pending", "", "", "", "", "", ""]
    assert rows["C11"][1:11] == ["ordinary", "en", "A1", "", "", "", "", "", "unreachable", ""]
    assert "Client " not in stream.getvalue()  # ids, never names


async def test_an_unknown_campaign(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(CampaignNotFound) as missing:
            await campaign_report(connection, 3, now=NOW)
    assert (missing.value.campaign_id, missing.value.latest) == (3, None)


async def test_a_survey_whose_file_is_gone_is_reported_by_its_question_ids(engine: AsyncEngine, survey: int,
                                                                           surveys: Path) -> None:
    (surveys / "check.toml").unlink()
    report = await _report(engine, survey)
    assert report.titles is None
    assert report.survey is not None
    assert [(q.id, q.scale, q.texts, q.overall.answers) for q in report.survey.questions] == [
        ("recommend", NPS, None, 11), ("satisfied", CSAT, None, 6), ("effort", CES, None, 5)]
    assert "<b>1. recommend</b>" in render("campaigns/report.html.j2", report=report, rules=RULES, zone="UTC")


@pytest.fixture
def fresh_charts() -> Iterator[None]:
    charts._cache.clear()
    charts.cjk_font_family.cache_clear()
    if charts._find_cjk_family() is None:  # the font the test extras install, as in tests/workspace/test_charts.py
        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
    yield
    charts._cache.clear()


async def test_the_nps_by_tier_chart(engine: AsyncEngine, survey: int, fresh_charts: None) -> None:
    groups = (await _report(engine, survey)).nps_by_tier()
    assert groups is not None
    english = charts.nps_by_tier_chart(groups, "en", rules=RULES)
    chinese = charts.nps_by_tier_chart(groups, "zh_Hans", rules=RULES)
    traditional = charts.nps_by_tier_chart(groups, "zh_Hant", rules=RULES)
    for png in (english, chinese, traditional):
        with Image.open(io.BytesIO(png)) as image:
            assert (image.format, image.size) == ("PNG", (800, 500))
    assert len({english, chinese, traditional}) == 3
    assert charts.nps_by_tier_chart(groups, "en", rules=RULES) is english  # cached

    def texts(locale: str) -> set[str]:
        figure = charts._nps_figure(groups, locale, RULES)
        return {t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()}

    assert {"NPS by tier", "Ordinary", "Mid-tier", "High-net-worth", "+29", "7 answers",
            "too few answers\n3 answers", "too few answers\n1 answer", "−100", "0", "100"} <= texts("en")
    assert {"按等级的 NPS", "普通客户", "中端客户", "高净值客户", "+29", "7 个回答",
            "回答太少\n3 个回答"} <= texts("zh_Hans")
    assert {"按等級劃分的 NPS", "普通客戶", "中端客戶", "高淨值客戶", "+29", "7 個回答",
            "回答太少\n3 個回答"} <= texts("zh_Hant")

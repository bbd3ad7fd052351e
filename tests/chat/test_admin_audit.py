"""/audit CLIENT for an admin: who viewed or changed what for the client, newest first, in the firm's time zone,
paged in place with buttons that are checked again on every press; the look itself is audited."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import EditMessageText, SendMessage
from babel.dates import format_date, format_time
from sqlalchemy import select
from support.chat import Chat
from support.scored_clients import ScoredClients

from bot.db.models import AuditEntry, Client, Role, ScoringRun
from handlers.callbacks import AuditCb

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

FIRM_ZONE = ZoneInfo("Asia/Shanghai")  # TIERBOT_TIMEZONE's default
_LINE = re.compile(r"^<b>(?P<when>[^<]+)</b> · (?P<who>.+?) · (?P<what>.+)$", re.M)


def _lines(text: str) -> list[tuple[str, str, str]]:
    """(when, who, what) of each entry shown."""
    return [(m["when"], m["who"], m["what"]) for m in _LINE.finditer(text)]


def _in_english(at: datetime) -> str:
    local = at.astimezone(FIRM_ZONE)
    return f"{format_date(local, 'medium', locale='en')}, {format_time(local, 'short', locale='en')}"


async def _advised(chat: Chat, clients: ScoredClients) -> tuple[str, str, str]:
    """A client, their adviser, and another adviser."""
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    someone_else_s = await clients.take(Client.adviser_id.not_in([adviser_id]), tier="ordinary")
    _name, other_adviser = await chat.client_row(someone_else_s)
    assert other_adviser is not None
    return client_id, adviser_id, other_adviser


async def _audit_views(chat: Chat, admin: int, client_id: str) -> list[dict[str, object] | None]:
    async with chat.engine.connect() as connection:
        return list((await connection.execute(select(AuditEntry.details).where(
            AuditEntry.action == "audit.view", AuditEntry.actor == f"tg:{admin}", AuditEntry.client_id == client_id)
            .order_by(AuditEntry.id))).scalars())


async def test_the_trail_says_who_did_what_and_when_newest_first(chat: Chat, clients: ScoredClients) -> None:
    client_id, adviser_id, other_adviser = await _advised(chat, clients)
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    other = await chat.bind(Role.ADVISER, other_adviser)
    await chat.send(adviser, f"/tier {client_id}")
    await chat.send(other, f"/tier {client_id}")  # another adviser's client: refused, and audited
    admin = await chat.bind(Role.ADMIN, None)
    name, _adviser = await chat.client_row(client_id)

    (text,) = await chat.send(admin, f"/audit {client_id}")
    assert text.startswith(f"<b>Audit log: {name} · {client_id}</b>")
    async with chat.engine.connect() as connection:
        run = (await connection.execute(select(ScoringRun.id, ScoringRun.rules_version, ScoringRun.started_at)
                                        .order_by(ScoringRun.id).limit(1))).one()
    lines = _lines(text)
    assert [(who, what) for _when, who, what in lines[:2]] == [
        (f"adviser {other_adviser}", "was refused (another adviser's client)"),
        (f"adviser {adviser_id}", "viewed the card"),
    ]
    assert (_in_english(run.started_at), "the command line",
            f"first placed in Ordinary (rules {run.rules_version}, run {run.id})") in lines
    assert "Times in the firm's time zone, Asia/Shanghai." in text
    assert chat.last_keyboard() is None  # one page
    assert await _audit_views(chat, admin, client_id) == [{"role": "admin", "page": 1}]

    await chat.send(admin, "/language")
    await chat.press(admin, chat.buttons()["简体中文"])
    (text,) = await chat.send(admin, f"/audit {client_id}")
    assert text.startswith(f"<b>审计日志：{name} · {client_id}</b>")
    assert "按时间由近及远排列；第 1 页，共 1 页" in text
    lines = _lines(text)
    assert (lines[0][1], lines[0][2]) == ("管理员", "查看了本审计日志")  # the English look, now in the trail
    assert (f"客户经理 {other_adviser}", "访问被拒绝（其他客户经理的客户）") == lines[1][1:]
    assert (f"客户经理 {adviser_id}", "查看了等级卡片") == lines[2][1:]
    assert ("命令行", f"首次评定为普通客户（规则 {run.rules_version}，第 {run.id} 次评分）") == lines[-1][1:]
    assert "以上时间均为本机构所在时区（Asia/Shanghai）。" in text


async def test_pages_turn_in_place_and_entries_written_since_do_not_shift_them(
    chat: Chat, clients: ScoredClients
) -> None:
    client_id, adviser_id, _other = await _advised(chat, clients)
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    for _ in range(12):
        await chat.send(adviser, f"/tier {client_id}")
    admin = await chat.bind(Role.ADMIN, None)
    (first,) = await chat.send(admin, f"/audit {client_id}")
    async with chat.engine.connect() as connection:
        entries = (await connection.execute(select(AuditEntry.id).where(AuditEntry.client_id == client_id))).all()
    total = len(entries) - 1  # without the look just written
    assert f"page 1 of 2, {total} entries in all." in first
    assert len(_lines(first)) == 10
    buttons = chat.buttons()
    assert list(buttons) == ["Older ➡️"]

    await chat.send(adviser, f"/tier {client_id}")  # written after the look: not on its pages
    (second,) = await chat.press(admin, buttons["Older ➡️"])
    assert isinstance(chat.bot.session.requests[0], EditMessageText)  # the same message, edited
    assert f"page 2 of 2, {total} entries in all." in second
    assert len(_lines(second)) == total - 10
    assert _lines(second)[-1][2].startswith("first placed in Ordinary")  # the oldest entry ends the last page
    assert list(chat.buttons()) == ["⬅️ Newer"]
    (back,) = await chat.press(admin, chat.buttons()["⬅️ Newer"])
    assert _lines(back) == _lines(first)
    assert [views["page"] for views in await _audit_views(chat, admin, client_id)] == [1, 2, 1]  # type: ignore[index]

    # A forged page past either end shows the nearest page there is.
    upto = AuditCb.unpack(buttons["Older ➡️"]).upto
    (last,) = await chat.press(admin, AuditCb(client_id=client_id, page=99, upto=upto).pack())
    assert last == second
    (top,) = await chat.press(admin, AuditCb(client_id=client_id, page=-3, upto=upto).pack())
    assert _lines(top) == _lines(first)


async def test_an_unknown_client_and_a_missing_id_are_one_sentence(chat: Chat, clients: ScoredClients) -> None:
    admin = await chat.bind(Role.ADMIN, None)
    example = await chat.send(admin, "/audit")
    async with chat.engine.connect() as connection:
        first_client = (await connection.execute(select(Client.client_id).order_by(Client.client_id))).scalar()
    assert example == ["Send /audit followed by a client's id to see who viewed or changed what for them, for example "
                       f"/audit {first_client}."]
    for asked in ("C99999", "<b>x</b>", "张三", "C" * 40):
        assert await chat.send(admin, f"/audit {asked}") == ["There is no client with that id."]
    (forged,) = await chat.press(admin, AuditCb(client_id="C99999", page=0, upto=10**9).pack())
    assert forged == "There is no client with that id."
    assert isinstance(chat.bot.session.requests[0], EditMessageText)
    async with chat.engine.connect() as connection:
        looks = (await connection.execute(select(AuditEntry.id).where(
            AuditEntry.actor == f"tg:{admin}", AuditEntry.action == "audit.view"))).all()
    assert looks == []  # no trail was shown, so none was looked at

    await chat.send(admin, "/language")
    await chat.press(admin, chat.buttons()["简体中文"])
    assert await chat.send(admin, "/audit C99999") == ["不存在该编号的客户。"]
    (usage,) = await chat.send(admin, "/audit")
    assert usage.startswith("发送 /audit 加客户编号")
    assert not chat.bot.session.sent(SendMessage)[0].reply_markup

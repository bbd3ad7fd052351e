"""`tierbot console --admin ID`: the console chat as an admin, bound by an invite like anyone else, with the admin
views working there as in Telegram."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat
from support.scored_clients import ScoredClients
from typer.testing import CliRunner

from bot.cli import app
from bot.db.models import Invite, Role, TelegramAccount
from bot.i18n import Catalogs
from bot.runtime import console_chat


@pytest.mark.db
@pytest.mark.asyncio(loop_scope="session")
async def test_an_admin_chats_in_the_console_with_the_admin_views(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    shown: list[str] = []
    typed = iter(["/stats", f"/audit {client_id}", "/tier " + client_id])
    with Catalogs("en").activated():
        await console_chat(chat.engine, chat.dispatcher, "S0042", admin=True, read=lambda: next(typed, None),
                           show=shown.append)
    output = "\n".join(shown)
    assert "The firm's clients by tier" in output
    assert "Tier             Clients  Share" in output  # the table as in Telegram, the tags taken out
    assert f"Audit log: {(await chat.client_row(client_id))[0]} · {client_id}" in output
    assert "Tier: Ordinary" in output  # and the staff views an admin has anyway
    async with chat.engine.connect() as connection:
        account = (await connection.execute(
            select(TelegramAccount.telegram_user_id, TelegramAccount.role, TelegramAccount.adviser_id)
            .join(Invite, Invite.used_by == TelegramAccount.telegram_user_id)
            .where(Invite.created_by == "console:S0042"))).one()
    assert (account.role, account.adviser_id) == (Role.ADMIN, None)
    assert "an admin · viewed this audit log" not in output  # its own look is written after the page is read

    again: list[str] = []
    typed = iter([f"/audit {client_id}"])
    with Catalogs("en").activated():
        await console_chat(chat.engine, chat.dispatcher, "S0042", admin=True, read=lambda: next(typed, None),
                           show=again.append)
    assert " · an admin · viewed this audit log\n" in "\n".join(again)  # the same account's look, before
    async with chat.engine.connect() as connection:
        invites = (await connection.execute(select(Invite.id).where(Invite.created_by == "console:S0042"))).all()
    assert len(invites) == 1


@pytest.mark.db
@pytest.mark.asyncio(loop_scope="session")
async def test_the_console_command_takes_an_admin_s_id(scored_engine: AsyncEngine, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env |= {"TIERBOT_DATABASE_URL": scored_engine.url.render_as_string(hide_password=False),
            "TIERBOT_DEFAULT_LOCALE": "zh_Hans"}
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "console", "--admin", "ops.lead@firm"], input="/stats\n",
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("正在以 ops.lead@firm 的身份对话。")
    assert "本机构客户等级分布" in result.stdout  # an admin has no record: the default language


@pytest.mark.parametrize(("arguments", "sentence"), [
    (["--as", "C00001", "--admin", "S1"],
     "Give --as with a client's or adviser's id, or --admin with an admin's id, one of the two."),
    ([], "Give --as with a client's or adviser's id, or --admin with an admin's id, one of the two."),
    (["--admin", "Wang Wei"], "An admin is given by an id for them, such as a staff number or an address (letters, "
                              "digits and “._@-”, no spaces): it is kept in the audit log, where names are not."),
], ids=["both", "neither", "a name"])
def test_the_console_wants_one_person_and_an_admin_by_id(arguments: list[str], sentence: str) -> None:
    with Catalogs("en").activated():
        result = CliRunner().invoke(app, ["console", *arguments], prog_name="tierbot")
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == sentence

"""The gettext catalogs: complete in every language, in step with the code, and compiled for real."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from support.paths import REPOSITORY

from bot.i18n import LOCALES, Catalogs, compile_catalogs, gettext, resolve_locale
from bot.resources import LOCALES_DIR
from bot.telegram import create_i18n

PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")


def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _texts(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete(locale: str) -> None:
    catalog = _catalog(locale)
    untranslated = [m.id for m in _messages(catalog) if not all(_texts(m.string))]
    fuzzy = [m.id for m in _messages(catalog) if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders(locale: str) -> None:
    for message in _messages(_catalog(locale)):
        wanted = set(PLACEHOLDER.findall(_texts(message.id)[-1]))
        for text in _texts(message.string):
            assert set(PLACEHOLDER.findall(text)) <= wanted, message.id


def test_catalogs_hold_every_message_of_the_code(tmp_path: Path) -> None:
    pybabel = shutil.which("pybabel", path=str(Path(sys.executable).parent))
    assert pybabel is not None
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [pybabel, "extract", "-F", "pyproject.toml", "-o", str(pot), "bot", "handlers", "tiering", "templates"],
        cwd=REPOSITORY, check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        in_code = {m.id for m in _messages(read_po(f))}
    for locale in LOCALES:
        in_catalog = {m.id for m in _messages(_catalog(locale))}
        assert in_code - in_catalog == set(), f"run locales/update.sh and translate ({locale})"


def test_handlers_hold_no_words(tmp_path: Path) -> None:
    """Every word a person reads is in templates/: a handler passes data to a template, never a sentence of its own."""
    pybabel = shutil.which("pybabel", path=str(Path(sys.executable).parent))
    assert pybabel is not None
    pot = tmp_path / "handlers.pot"
    subprocess.run([pybabel, "extract", "-F", "pyproject.toml", "-o", str(pot), "handlers"],
                   cwd=REPOSITORY, check=True, capture_output=True)
    with pot.open("rb") as f:
        words = {(m.id, location) for m in _messages(read_po(f)) for location, _line in m.locations}
    assert words == set()


def test_compiled_catalogs_translate(tmp_path: Path) -> None:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    compile_catalogs(copy)
    i18n = I18n(path=copy, default_locale="en")
    assert set(i18n.available_locales) == set(LOCALES)
    assert i18n.gettext("is empty", locale="zh_Hans") == "为空"
    assert i18n.gettext("is empty", locale="en") == "is empty"
    catalogs = Catalogs("en", copy)
    assert set(catalogs.translations) == set(LOCALES)
    assert catalogs.gettext("is empty", locale="zh_Hans") == "为空"
    assert catalogs.gettext("is empty", locale="en") == "is empty"


def test_create_i18n_uses_the_default_locale() -> None:
    """Within the translator's context, which is where the chat uses it: aiogram's gettext and bot.i18n's agree."""
    i18n = create_i18n("zh_Hans")
    with i18n.context():
        assert i18n.gettext("is empty") == "为空"
        assert gettext("is empty") == "为空"


@pytest.mark.parametrize(
    ("tag", "locale"),
    [("zh", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh-hans", "zh_Hans"), ("zh_Hans", "zh_Hans"),
     ("zh-SG", "zh_Hans"), ("zh-hant", "zh_Hant"), ("zh-TW", "zh_Hant"), ("zh-HK", "zh_Hant"), ("zh-MO", "zh_Hant"),
     ("zh_Hant", "zh_Hant"), ("zh-Hant-CN", "zh_Hant"), ("zh-Hans-HK", "zh_Hans"), ("ZH_hk", "zh_Hant"),
     ("yue", "zh_Hant"), ("yue-HK", "zh_Hant"), ("yue-Hans", "zh_Hans"), ("zh-yue", "zh_Hant"),
     ("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("fr", None), ("", None), (None, None)],
)
def test_resolve_locale(tag: str | None, locale: str | None) -> None:
    assert resolve_locale(tag) == locale

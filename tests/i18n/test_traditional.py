"""The Traditional catalog (zh_Hant): the glossary of docs/i18n.md, no Simplified characters, the key terms.

The glossary's table is read from the document itself, so that a row added there is checked here. A message whose
Simplified text holds a glossary term holds the term's Traditional form, and no Traditional text holds a form the
table rejects. Terms are found in the Simplified text as `locales/hant.py` finds them when it drafts: the longest
term first, so that 文件 inside 文件夹 (資料夾) is not asked to be 檔案.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import opencc
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from support.hant import SIMPLIFIED_ONLY, simplified_only
from support.paths import REPOSITORY

GLOSSARY = REPOSITORY / "docs" / "i18n.md"
LOCALES = REPOSITORY / "locales"
HEADER = ("zh_Hans", "zh_Hant", "not", "why")

# The words every reader meets first: the tiers, the adviser's title, the settings and the opt-out.
KEY_TERMS = {
    "High-net-worth": "高淨值客戶",
    "Mid-tier": "中端客戶",
    "Ordinary": "普通客戶",
    "high-net-worth": "高淨值",
    "mid": "中端",
    "ordinary": "普通",
    "Adviser": "客戶經理",
    "Adviser: %(name)s": "客戶經理：%(name)s",
    "Suitability": "適合性",
    "Settings": "設定",
    "📊 My tier": "📊 我的等級",
    "My tier and how to move up": "我的等級及升級方法",
    "Monthly average assets ({currency})": "月日均資產（{currency}）",
    "survey": "問卷",
    "Unsubscribed": "已取消訂閱",
    "Campaigns": "活動",
}

PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]*(?::[^}]*)?\}")
TAG = re.compile(r"<[^>]+>")
COMMAND = re.compile(r"(?<![\w/.:])/[a-z_]+")


@dataclass(frozen=True)
class Term:
    simplified: str
    traditional: str
    rejected: tuple[str, ...]


def glossary(path: Path = GLOSSARY) -> list[Term]:
    """The rows of the glossary table (`| zh_Hans | zh_Hant | not | why |`), without its header and separator."""
    terms: list[Term] = []
    in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if tuple(cells[:4]) == HEADER:
            in_table = True
            continue
        if not in_table or set("".join(cells[:3])) <= set("-: "):
            continue
        simplified, traditional, rejected = cells[0], cells[1], cells[2]
        terms.append(Term(simplified, traditional, tuple(form for form in rejected.split(", ") if form)))
    return terms


def _catalog(locale: str) -> Catalog:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _text(message: Message) -> str:
    return "\n".join(message.string) if isinstance(message.string, tuple) else message.string


def _msgid(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _pairs() -> list[tuple[str, str, str]]:
    """(msgid, zh_Hans text, zh_Hant text) of every message of the zh_Hant catalog."""
    simplified = _catalog("zh_Hans")
    pairs = []
    for message in _catalog("zh_Hant"):
        if not message.id:
            continue
        source = simplified.get(message.id)
        pairs.append((_msgid(message), _text(source) if source is not None else "", _text(message)))
    return pairs


def _terms_in(text: str, terms: dict[str, Term]) -> set[str]:
    pattern = re.compile("|".join(sorted(map(re.escape, terms), key=len, reverse=True)))
    return {match.group() for match in pattern.finditer(text)}


def test_the_glossary_is_read_from_its_table() -> None:
    terms = {term.simplified: term for term in glossary()}
    assert len(terms) >= 30
    assert terms["客户"] == Term("客户", "客戶", ("客户",))
    assert terms["账户"].rejected == ("賬戶", "賬户")
    assert terms["理财"].rejected == ()
    assert not {"tag", "---", "zh_Hans"} & set(terms)
    for term in terms.values():
        assert term.traditional not in term.rejected, term


def test_the_catalog_follows_the_glossary() -> None:
    terms = {term.simplified: term for term in glossary()}
    violations = []
    for msgid, simplified, traditional in _pairs():
        for found in sorted(_terms_in(simplified, terms)):
            if terms[found].traditional not in traditional:
                violations.append(f"{msgid!r}: {found} should be {terms[found].traditional}")
        for term in terms.values():
            violations += [f"{msgid!r}: holds {form} (glossary: {term.traditional})"
                           for form in term.rejected if form in traditional]
    assert violations == []


def test_the_simplified_only_characters_are_simplified() -> None:
    converter = opencc.OpenCC("s2t")
    assert len(SIMPLIFIED_ONLY) == len(set(SIMPLIFIED_ONLY)) >= 80
    assert [c for c in SIMPLIFIED_ONLY if converter.convert(c) == c] == []
    assert simplified_only("客户经理的账户设置") == ["经", "账", "设"]
    assert simplified_only("客戶經理的帳戶設定") == []


def test_the_catalog_holds_no_simplified_characters() -> None:
    found = {msgid: "".join(chars) for msgid, _simplified, traditional in _pairs()
             if (chars := simplified_only(traditional))}
    assert found == {}


def test_traditional_quotes_and_no_draft_left() -> None:
    catalog = _catalog("zh_Hant")
    messages = [m for m in catalog if m.id]
    assert [_msgid(m) for m in messages if m.fuzzy] == []
    assert [_msgid(m) for m in messages if any(q in _text(m) for q in "“”‘’")] == []
    plural = [m for m in messages if isinstance(m.id, tuple)]
    assert plural
    assert [_msgid(m) for m in plural if len(m.string) != 1] == []


def test_the_catalog_keeps_what_the_simplified_text_holds() -> None:
    """Placeholders, HTML tags, /commands and line breaks are the zh_Hans text's, one for one."""
    differences = []
    for msgid, simplified, traditional in _pairs():
        for name, pattern in (("placeholders", PLACEHOLDER), ("tags", TAG), ("commands", COMMAND)):
            if Counter(pattern.findall(simplified)) != Counter(pattern.findall(traditional)):
                differences.append(f"{msgid!r}: {name}")
        if simplified.count("\n") != traditional.count("\n"):
            differences.append(f"{msgid!r}: line breaks")
    assert differences == []


@pytest.mark.parametrize(("msgid", "expected"), KEY_TERMS.items())
def test_key_terms(msgid: str, expected: str) -> None:
    message = _catalog("zh_Hant").get(msgid)
    assert message is not None, msgid
    assert message.string == expected

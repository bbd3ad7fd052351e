"""Draft the zh_Hant messages that are still empty from their zh_Hans translations, for a person to read.

Each draft is OpenCC's Taiwan conversion (`s2twp`) of the Simplified text, with the terms of the glossary in
docs/i18n.md written as the glossary says, and is marked fuzzy: the catalog tests fail until someone has read
it, corrected it and removed the flag. Run it after `locales/update.sh`:

    python locales/hant.py
"""

from __future__ import annotations

import re
from pathlib import Path

import opencc
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "i18n.md"
LOCALES = ROOT / "locales"
_ROW = re.compile(r"^\| ([^|]+?) \| ([^|]+?) \|")


def glossary() -> dict[str, str]:
    """The glossary's Simplified terms and their Traditional forms, read from the table of docs/i18n.md."""
    terms: dict[str, str] = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match and re.search(r"[\u4e00-\u9fff]", match.group(1)):
            terms[match.group(1)] = match.group(2)
    return terms


def draft(text: str, terms: dict[str, str], converter: opencc.OpenCC) -> str:
    """`text` in Traditional characters: the glossary's terms as it writes them, the rest as OpenCC does."""
    pattern = re.compile("|".join(sorted(map(re.escape, terms), key=len, reverse=True)))
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [converter.convert(text[last : match.start()]), terms[match.group()]]
        last = match.end()
    return "".join([*pieces, converter.convert(text[last:])])


def _read(locale: str) -> Catalog:
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


def main() -> None:
    terms, converter = glossary(), opencc.OpenCC("s2twp")
    simplified, traditional = _read("zh_Hans"), _read("zh_Hant")
    drafted = 0
    for message in traditional:
        source = simplified.get(message.id)
        if not message.id or source is None or (all(message.string) if isinstance(message.string, tuple)
                                                 else message.string):
            continue
        strings = source.string
        if isinstance(strings, tuple):
            message.string = tuple(draft(s, terms, converter) for s in strings)
        else:
            message.string = draft(strings, terms, converter)
        message.flags.add("fuzzy")
        drafted += 1
    with (LOCALES / "zh_Hant" / "LC_MESSAGES" / "messages.po").open("wb") as file:
        write_po(file, traditional, width=76, sort_output=True, no_location=True, omit_header=False)
    print(f"{drafted} message(s) drafted and marked fuzzy in locales/zh_Hant: read each against docs/i18n.md")


if __name__ == "__main__":
    main()

"""Where the data folders live: inside the installed wheel, or beside the packages in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


LOCALES_DIR = data_dir("locales")
TEMPLATES_DIR = data_dir("templates")

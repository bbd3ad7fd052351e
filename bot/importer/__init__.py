"""Importing the firm's data files (CSV, Excel) into the database, all or nothing."""

from bot.importer.loader import ImportFailed, ImportProgress, ImportReport, Problem, SourceResult, import_path
from bot.importer.sources import DEFAULT_ENCODING, SourceError, text_encoding
from bot.importer.specs import ENTITIES, ENTITIES_BY_NAME, EntitySpec

__all__ = [
    "DEFAULT_ENCODING",
    "ENTITIES",
    "ENTITIES_BY_NAME",
    "EntitySpec",
    "ImportFailed",
    "ImportProgress",
    "ImportReport",
    "Problem",
    "SourceError",
    "SourceResult",
    "import_path",
    "text_encoding",
]

"""Where an import's rows come from: files (CSV, Excel) today."""

from bot.importer.sources.files import Source, SourceError, discover

__all__ = ["Source", "SourceError", "discover"]

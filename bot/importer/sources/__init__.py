"""Where an import's rows come from: files (CSV, Excel) today."""

from bot.importer.sources.files import DEFAULT_ENCODING, Source, SourceError, discover, text_encoding

__all__ = ["DEFAULT_ENCODING", "Source", "SourceError", "discover", "text_encoding"]

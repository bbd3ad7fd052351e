"""Database models, engines and sessions."""

from bot.db.engine import DatabaseUnreachable, create_engine, ensure_reachable, session_factory
from bot.db.models import Base

__all__ = ["Base", "DatabaseUnreachable", "create_engine", "ensure_reachable", "session_factory"]

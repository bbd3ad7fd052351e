"""The database: engines, the models, migrations, the tier-state column map, and the unit of work."""

from bot.db.engine import DatabaseUnreachable, create_engine, ensure_reachable, sqlite_file
from bot.db.models import Base
from bot.db.unit_of_work import UnitOfWork, session_factory, unit_of_work

__all__ = ["Base", "DatabaseUnreachable", "UnitOfWork", "create_engine", "ensure_reachable", "session_factory",
           "sqlite_file", "unit_of_work"]

"""Network state in a real database (SQLite embedded by default, any SQLAlchemy URL)."""

from c2net.store.database import make_engine
from c2net.store.store import CenterStatus, Conflict, NotFound, Store

__all__ = ["CenterStatus", "Conflict", "NotFound", "Store", "make_engine"]

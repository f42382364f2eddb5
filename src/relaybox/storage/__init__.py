from relaybox.storage.base import Base
from relaybox.storage.database import Database

__all__ = ["Base", "Database"]

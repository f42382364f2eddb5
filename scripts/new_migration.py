"""Developer tool: autogenerate a migration against a scratch SQLite database.

    .venv/bin/python scripts/new_migration.py "what changed" 0003
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from relaybox.migrate import alembic_config

if __name__ == "__main__":
    message, rev_id = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)

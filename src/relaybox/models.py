"""Every table, imported in one place (for Alembic and tests)."""

from relaybox.accounts import models as accounts
from relaybox.audit import models as audit
from relaybox.billing import models as billing
from relaybox.carriers import models as carriers
from relaybox.carriers.simulator import models as simulator
from relaybox.http import idempotency
from relaybox.jobs import models as jobs
from relaybox.messaging import models as messaging
from relaybox.numbers import models as numbers
from relaybox.projects import models as projects
from relaybox.rates import models as rates
from relaybox.storage.base import Base
from relaybox.verify import models as verify
from relaybox.webhooks import models as webhooks

metadata = Base.metadata

__all__ = [
    "accounts",
    "audit",
    "billing",
    "carriers",
    "idempotency",
    "jobs",
    "messaging",
    "metadata",
    "numbers",
    "projects",
    "rates",
    "simulator",
    "verify",
    "webhooks",
]

"""Job bodies: each opens its own unit of work, is idempotent, and is safe to run late or twice."""
import logging

from api.clock import today_in_china
from api.db.engine import unit_of_work
from api.ledger.status import refresh_statuses
from api.policy import current_policy

log = logging.getLogger("points.scheduler")


def refresh_statuses_job() -> int:
    """Daily: suspensions that start or end today, bans that expire, registrations that begin or end."""
    with unit_of_work() as session:
        changed = refresh_statuses(session, current_policy(), today_in_china())
    log.info("status refresh: %d changed", changed)
    return changed

"""Outbox: a status change becomes a status_event row and one pending delivery per matching subscription,
in the same transaction as the change. Sending happens later, in the scheduler, so a slow or failing
receiver never holds up a request or a job."""
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import StatusEvent, WebhookDelivery, WebhookSubscription


class EventSink:
    """Collects status changes for one transaction; subscriptions are read once."""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now, self._subscriptions = session, now, None

    def _matching(self, region: str) -> list[int]:
        if self._subscriptions is None:
            self._subscriptions = self.session.execute(
                select(WebhookSubscription.id, WebhookSubscription.region_prefix)
                .where(WebhookSubscription.active.is_(True))).all()
        return [sid for sid, prefix in self._subscriptions if region.startswith(prefix)]

    def emit(self, code: str, region: str, previous: str, status: str, until: date | None, on: date,
             cause: str) -> None:
        event = StatusEvent(practitioner_code=code, previous_status=previous, status=status, until=until,
                            effective_on=on, cause=cause[:200], created_at=self.now)
        self.session.add(event)
        self.session.flush()
        for sid in self._matching(region):
            self.session.add(WebhookDelivery(subscription_id=sid, event_id=event.id, next_attempt_at=self.now))

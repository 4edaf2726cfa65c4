"""Outbox: a status change becomes one status_event row in the transaction of the change, and nothing more, so a
request costs the same whatever the number of subscriptions. The scheduler then fans each event out to one
pending delivery per matching subscription (`fan_out`), and sends them later still (delivery.py)."""
from datetime import date, datetime

from sqlalchemy import and_, exists, func, insert, literal, or_, select, update
from sqlmodel import Session

from api.db.base import UTCDateTime
from api.db.models import Institution, Practitioner, Registration, StatusEvent, WebhookDelivery, WebhookSubscription

FAN_OUT_BATCH = 200  # events per transaction


class EventSink:
    """Collects the status changes of one transaction."""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now = session, now

    def emit(self, code: str, region: str, previous: str, status: str, until: date | None, on: date,
             cause: str) -> None:
        self.session.add(StatusEvent(practitioner_code=code, region=region, previous_status=previous, status=status,
                                     until=until, effective_on=on, cause=cause[:200], created_at=self.now))


def _covers(region):
    return func.substr(region, 1, func.length(WebhookSubscription.region_prefix)) == WebhookSubscription.region_prefix


def _registered_in_subscription_region():
    """The person is (or was) registered at an institution of the subscription's region (多点执业): that
    region's settlement system pays their services too."""
    return exists(select(Registration.id).join(Institution).join(Practitioner).where(
        Practitioner.code == StatusEvent.practitioner_code, _covers(Institution.region)))


def _fan_out_batch(session: Session, now: datetime) -> int:
    """One batch of events not yet fanned out: a delivery for each subscription that was active when the event
    was written, is active now, and covers the person's region or a region where they are registered. Returns the events done (0: none left)."""
    pending = select(StatusEvent.id).where(StatusEvent.fanned_out_at.is_(None)).order_by(StatusEvent.id) \
        .limit(FAN_OUT_BATCH)
    if session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)  # a concurrent run takes other events
    ids = list(session.scalars(pending))
    if not ids:
        return 0
    already = exists().where(WebhookDelivery.subscription_id == WebhookSubscription.id,
                             WebhookDelivery.event_id == StatusEvent.id)
    matches = (select(WebhookSubscription.id, StatusEvent.id, literal("pending"), literal(0),
                      literal(now, UTCDateTime()))
               .select_from(WebhookSubscription).join(StatusEvent, and_(
                   StatusEvent.id.in_(ids), WebhookSubscription.created_at <= StatusEvent.created_at,
                   or_(_covers(StatusEvent.region), _registered_in_subscription_region())))
               .where(WebhookSubscription.active.is_(True), ~already))
    session.execute(insert(WebhookDelivery).from_select(
        ["subscription_id", "event_id", "state", "attempts", "next_attempt_at"], matches))
    session.execute(update(StatusEvent).where(StatusEvent.id.in_(ids)).values(fanned_out_at=now))
    return len(ids)


def fan_out(session: Session, now: datetime, max_batches: int = 50) -> int:
    """Fan out what is pending, a batch per commit. Idempotent: an event is fanned out once (its deliveries are
    unique per subscription and it is marked in the same transaction); safe to run late or twice."""
    done = 0
    for _ in range(max_batches):
        events = _fan_out_batch(session, now)
        session.commit()
        if not events:
            break
        done += events
    return done

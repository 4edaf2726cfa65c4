"""Outbox and status feed: a change of someone's standing becomes one status_event row in the transaction of the
change, and nothing more, so a request costs the same whatever the number of subscriptions. The scheduler then
fans each event out to one pending delivery per matching subscription (`fan_out`), and sends them later still
(delivery.py); settlement systems may also read the events in order (`GET /v1/status-changes`).

Kinds: `effective` (a status change that took effect: a suspension started or ended, a termination started, a
ban ended, a registration began or ended, a sanction lifted while running), and, for a sanction (a suspension or
a termination with its ban), `decided` (when it is decided, even if it starts later), `corrected` (its length or
dates changed) and `lifted` (withdrawn or cut short).

**Feed order.** Each event gets its position, `seq`, when its transaction commits: the commit takes the
`status_feed` counter's row lock, numbers the transaction's events above every position given before, and holds
the lock until it has committed. Positions therefore follow commit order, and a reader that has seen position n
has already seen every committed event below n: a cursor never skips an event that commits late. (Row ids do
not have that property on PostgreSQL, where two transactions may commit in the other order than they inserted.)
"""
from datetime import date, datetime

from sqlalchemy import and_, event, exists, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from api.db.base import UTCDateTime
from api.db.models import (
    ChangeCounter,
    Institution,
    Practitioner,
    Registration,
    StatusEvent,
    WebhookDelivery,
    WebhookSubscription,
)

FAN_OUT_BATCH = 200  # events per transaction
FEED = "status_feed"  # change_counter row: the highest feed position given
UNNUMBERED = "status_events_unnumbered"  # session.info flag: this transaction wrote events
KINDS = ("effective", "decided", "corrected", "lifted")


class EventSink:
    """Collects the standing changes of one transaction."""

    def __init__(self, session: Session, now: datetime, plain: bool = False):
        """`plain`: keep the events as rows, written by `write()` in one INSERT (an import's thousands), instead of
        an ORM object each."""
        self.session, self.now, self.plain, self.rows = session, now, plain, []

    def emit(self, code: str, region: str, previous: str, status: str, until: date | None, on: date,
             cause: str, kind: str = "effective", starts_on: date | None = None,
             sanction_id: int | None = None) -> None:
        """`on`: the day it takes effect (`effective`) or was recorded (a sanction's events); `starts_on` and
        `until`: the first and last day of the new status (`effective`: from `on`) or of the sanction."""
        row = dict(practitioner_code=code, region=region, kind=kind, previous_status=previous, status=status,
                   starts_on=on if kind == "effective" else starts_on, until=until, effective_on=on,
                   sanction_id=sanction_id, cause=cause[:200], created_at=self.now)
        if self.plain:
            self.rows.append(row)
        else:
            self.session.add(StatusEvent(**row))
        self.session.info[UNNUMBERED] = True

    def write(self) -> None:
        """Insert the rows a `plain` sink has kept."""
        if self.rows:
            self.session.execute(insert(StatusEvent.__table__), self.rows)
            self.rows = []


def feed_position(session: Session) -> int:
    """The highest position given so far: every event at or below it has committed."""
    value = session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == FEED))
    return value if value is not None else session.scalar(select(func.max(StatusEvent.seq))) or 0


def number_events(session: Session) -> int:
    """Give this transaction's events (those without a position) their feed positions, above every position
    given before, under the counter's row lock (held until commit). Positions are `id + offset`: in insertion
    order within the transaction, with gaps where other transactions took ids. Returns the events numbered."""
    session.flush()
    lock = select(ChangeCounter.value).where(ChangeCounter.name == FEED).with_for_update()
    value = session.scalar(lock)
    if value is None:  # migrations make the row; a table emptied since gets it back above what is used
        floor = session.scalar(select(func.max(StatusEvent.seq))) or 0
        try:
            with session.begin_nested():
                session.add(ChangeCounter(name=FEED, value=floor))
        except IntegrityError:  # another transaction made it first
            pass
        value = session.scalar(lock)
    low, high, count = session.execute(select(func.min(StatusEvent.id), func.max(StatusEvent.id), func.count())
                                       .where(StatusEvent.seq.is_(None))).one()
    if not count:
        return 0
    offset = value + 1 - low
    session.execute(update(StatusEvent).where(StatusEvent.seq.is_(None)).values(seq=StatusEvent.id + offset)
                    .execution_options(synchronize_session=False))
    session.execute(update(ChangeCounter).where(ChangeCounter.name == FEED).values(value=high + offset))
    return count


@event.listens_for(OrmSession, "before_commit")
def _number_at_commit(session: OrmSession) -> None:
    if session.info.pop(UNNUMBERED, False):
        number_events(session)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget(session: OrmSession, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (rolled back): its events are gone too
        session.info.pop(UNNUMBERED, None)


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
    pending = select(StatusEvent.id).where(StatusEvent.fanned_out_at.is_(None), StatusEvent.seq.is_not(None)) \
        .order_by(StatusEvent.seq).limit(FAN_OUT_BATCH)  # in feed order; numbered = committed
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

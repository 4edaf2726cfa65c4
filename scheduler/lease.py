"""A lease in the database: one scheduler acts at a time, on SQLite and PostgreSQL alike. Taking or renewing
it is a single conditional UPDATE (or the first INSERT), so two schedulers cannot both win."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.db.models import SchedulerLease


class Lease:
    def __init__(self, engine: Engine, holder: str, name: str = "scheduler", ttl: timedelta = timedelta(seconds=60)):
        self.engine, self.holder, self.name, self.ttl = engine, holder, name, ttl

    def hold(self, now: datetime) -> bool:
        """Take the lease if free or expired, renew it if ours. True when we hold it until now + ttl."""
        with Session(self.engine) as session:
            taken = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name,
                       or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.ttl)).rowcount
            session.commit()
            if taken:
                return True
            if session.get(SchedulerLease, self.name) is not None:
                return False
            session.add(SchedulerLease(name=self.name, holder=self.holder, expires_at=now + self.ttl))
            try:
                session.commit()
                return True
            except IntegrityError:
                return False

    def holder_of_record(self, session: Session, now: datetime) -> str | None:
        """Who the lease table says holds the lease now (None when nobody does). Read in the caller's
        transaction: on SQLite a second connection would wait for the caller's own write lock."""
        row = session.get(SchedulerLease, self.name)
        return row.holder if row is not None and row.expires_at > now else None

    def current(self, now: datetime) -> tuple[str, datetime] | None:
        """(holder, expires_at) while someone holds the lease, else None."""
        with Session(self.engine) as session:
            row = session.get(SchedulerLease, self.name)
            return (row.holder, row.expires_at) if row is not None and row.expires_at > now else None

    def release(self) -> None:
        with Session(self.engine) as session:
            session.execute(update(SchedulerLease).where(SchedulerLease.name == self.name,
                                                         SchedulerLease.holder == self.holder)
                            .values(expires_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
            session.commit()

"""Standings of many people at once, from the derived sanction rows and registrations: column queries and
bulk IN, never ORM objects, so a batch of any size costs a few round trips."""
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Practitioner, Registration, Sanction
from api.ledger.repository import chunks, load_ledgers
from points import Ledger, Standing


def load_standings(session: Session, codes: Iterable[str]) -> dict[str, Standing]:
    """code -> Standing for the codes that name a known practitioner."""
    out: dict[str, Standing] = {}
    for chunk in chunks(sorted(set(codes))):
        ids = dict(session.execute(select(Practitioner.id, Practitioner.code).where(Practitioner.code.in_(chunk))).all())
        if not ids:
            continue
        suspensions, terminations, registrations = defaultdict(list), defaultdict(list), defaultdict(list)
        for pid, kind, decided_on, starts_on, ends_on in session.execute(
                select(Sanction.practitioner_id, Sanction.kind, Sanction.decided_on, Sanction.starts_on, Sanction.ends_on)
                .where(Sanction.practitioner_id.in_(list(ids)), Sanction.revoked_at.is_(None))):
            if kind == "suspension":
                suspensions[pid].append((starts_on, ends_on))
            else:
                terminations[pid].append((decided_on, ends_on))
        for pid, starts_on, ends_on in session.execute(
                select(Registration.practitioner_id, Registration.starts_on, Registration.ends_on)
                .where(Registration.practitioner_id.in_(list(ids)))):
            registrations[pid].append((starts_on, ends_on))
        for pid, code in ids.items():
            out[code] = Standing.of(suspensions[pid], terminations[pid], registrations[pid])
    return out


def load_ledgers_by_code(session: Session, codes: Iterable[str]) -> dict[str, Ledger]:
    """code -> the whole ledger, with each entry's recorded instant, for the codes that name a known practitioner
    (answers "as known at" an instant are derived from it)."""
    ids = []
    for chunk in chunks(sorted(set(codes))):
        ids += session.scalars(select(Practitioner.id).where(Practitioner.code.in_(chunk)))
    return {ledger.person: ledger for ledger in load_ledgers(session, ids).values()}

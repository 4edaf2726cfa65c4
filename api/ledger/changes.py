"""Before → after of a person's standing around a ledger change, for its audit entries. `refresh_person` notes
each re-derivation in the session; the use case's own audit entry reads it back."""
from dataclasses import replace

from sqlmodel import Session

from api.db.models import Practitioner
from api.ledger.repository import load_ledgers
from points import Policy, Timeline, derive

NOTED = "standing_changes"  # session.info key: person code -> (before, after, timeline)


def standing(person: Practitioner) -> dict:
    """The person's stored status, its end and this year's tally."""
    until = person.status_until.isoformat() if person.status_until else None
    return {"status": person.status, "until": until, "tally": person.tally}


def note(session: Session, person: Practitioner, before: dict, timeline: Timeline) -> tuple[dict, dict]:
    after = standing(person)
    session.info.setdefault(NOTED, {})[person.code] = (before, after, timeline)
    return before, after


def _noted(session: Session, person: Practitioner) -> tuple[dict, dict, Timeline | None]:
    now = standing(person)
    return session.info.get(NOTED, {}).get(person.code, (now, now, None))


def tally_change(session: Session, person: Practitioner) -> dict:
    before, after, _ = _noted(session, person)
    return {"before": {"tally": before["tally"]}, "after": {"tally": after["tally"]}}


def review_change(session: Session, person: Practitioner, record_id: int, review_id: int, policy: Policy) -> dict:
    """The record's points and the person's status, before and after one review."""
    before, after, timeline = _noted(session, person)
    ledger = load_ledgers(session, [person.id])[person.id]
    timeline = timeline or derive(ledger, policy)
    without = derive(replace(ledger, reviews=tuple(r for r in ledger.reviews if r.id != review_id)), policy)
    return {"before": {"points": without.points.get(record_id, 0), "status": before["status"]},
            "after": {"points": timeline.points.get(record_id, 0), "status": after["status"]}}

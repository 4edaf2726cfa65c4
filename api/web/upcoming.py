"""What is about to happen, for the person page and /ui/me: sanctions decided but not started yet, every
decision on a suspension's length (who, when, old → new), what a just-recorded record set off, and for the
person their objection deadlines and the rules in plain words."""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Practitioner, SuspensionDecision
from api.ledger.service import timeline_of
from api.people.schemas import PersonView, SanctionView
from points import Policy


@dataclass(frozen=True)
class LengthChange:
    """One decision on a suspension's length: `before` is the length it replaced (the default when first)."""

    decided_on: date
    decided_by: str
    region: str
    before: int
    after: int
    first: bool
    reason: str
    starts_on: date


def live(view: PersonView) -> list[SanctionView]:
    return [s for s in view.sanctions if not s.revoked]


def upcoming(view: PersonView, today: date) -> list[SanctionView]:
    """Decided, not started: the person is still eligible today, and will not be from `starts_on`."""
    return [s for s in live(view) if s.starts_on > today]


def follows(view: PersonView, done: str | None) -> SanctionView | None:
    """After recording: the sanction the newest record set off, if any (told right under "已记分")."""
    if done != "recorded" or not view.records:
        return None
    newest = max(r.id for r in view.records)
    return next((s for s in live(view) if s.trigger_record_id == newest), None)


def length_changes(session: Session, person: Practitioner, view: PersonView, policy: Policy) -> list[LengthChange]:
    """Each length decision of a current suspension, oldest first, with the length it replaced."""
    triggers = {s.trigger_record_id: s for s in live(view) if s.kind == "suspension"}
    if not triggers:
        return []
    defaults = {s.trigger_record: policy.parameters(person.region, s.decided_on).default_months(s.tally)
                for s in timeline_of(session, person, policy).suspensions}
    decisions = session.scalars(select(SuspensionDecision).where(
        SuspensionDecision.practitioner_id == person.id,
        SuspensionDecision.trigger_record_id.in_(triggers)).order_by(SuspensionDecision.id)).all()
    current: dict[int, int] = {}
    out = []
    for d in decisions:
        first = d.trigger_record_id not in current
        before = current.get(d.trigger_record_id, defaults.get(d.trigger_record_id, d.months))
        current[d.trigger_record_id] = d.months
        out.append(LengthChange(d.decided_on, d.decided_by, d.authority_region, before, d.months, first, d.reason,
                                triggers[d.trigger_record_id].starts_on))
    return out


def deadlines(view: PersonView) -> dict[int, date]:
    """Record id -> the last day the person may object to it (R38)."""
    return {r.id: r.objection_deadline for r in view.records}


def phone_context(session: Session, person: Practitioner, view: PersonView, policy: Policy, today: date,
                  done: str | None, own: bool) -> dict:
    context = {"upcoming": upcoming(view, today), "follows": follows(view, done),
               "length_changes": length_changes(session, person, view, policy)}
    if own:
        context |= {"deadlines": deadlines(view), "display_name": view.name}
    return context

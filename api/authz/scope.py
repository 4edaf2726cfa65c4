"""The only home of region filters. A fetch outside the caller's scope answers exactly like an unknown id.

Who sees a person: a supervisor of the person's own region or of a region where they are (or were) registered
(status is national, so registration grants reading the whole record); an institution its own staff; a
practitioner themselves. Seeing never implies the right to change: see `api.authz.policy`."""
from datetime import date

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlmodel import Session

from api.auth.tokens import Principal, Role
from api.db.models import Institution, PointRecord, Practitioner, Registration, StatusEvent
from api.errors import InvalidRequest, NotFound
from points.codes import check_person_code_shape, parse_institution_code


def in_region(column, who: Principal):
    """`column` (a region code) lies in the caller's region."""
    prefix = who.region_prefix
    return true() if not prefix else func.substr(column, 1, len(prefix)) == prefix


def visible_people(who: Principal):
    """WHERE clause on Practitioner: the people this caller may read."""
    if who.role is Role.PRACTITIONER:
        return Practitioner.code == who.scope
    registered = select(Registration.id).join(Institution).where(Registration.practitioner_id == Practitioner.id)
    if who.role is Role.INSTITUTION:
        return exists(registered.where(Institution.code == who.scope))
    if who.role is Role.SUPERVISOR:
        if not who.region_prefix:
            return true()
        return or_(in_region(Practitioner.region, who), exists(registered.where(in_region(Institution.region, who))))
    return false()


def region_range(column, who: Principal):
    """`column` (a region code, digits) lies in the caller's region, as a range an index answers: from the
    prefix up to the next prefix of the same length."""
    prefix = who.region_prefix
    if not prefix:
        return true()
    following = str(int(prefix) + 1).zfill(len(prefix))
    return and_(column >= prefix, column < following) if len(following) == len(prefix) else column >= prefix


def visible_person_id(column, who: Principal):
    """WHERE clause on `column` (a practitioner id in another table): the people `visible_people` admits for a
    supervisor, as two sets read once from index ranges (the region's people: ix_practitioner_region; those
    registered at its institutions: ix_registration_institution_practitioner), for aggregates over many rows,
    where a per-row check would cost a lookup or two each."""
    if who.role is not Role.SUPERVISOR:
        raise ValueError(f"visible_person_id serves supervisors, not {who.role}")
    if not who.region_prefix:
        return true()
    institutions = select(Institution.id).where(region_range(Institution.region, who))
    return or_(column.in_(select(Practitioner.id).where(region_range(Practitioner.region, who))),
               column.in_(select(Registration.practitioner_id).where(Registration.institution_id.in_(institutions))))


def regional_people(who: Principal):
    """WHERE clause on Practitioner for the status feed and the standings export: a settlement system or a
    supervisor sees the people of its region and those registered (now or ever) at an institution of its region
    (多点执业: that region pays their services too). Other roles see no one there."""
    if who.role not in (Role.SETTLEMENT, Role.SUPERVISOR):
        return false()
    if not who.region_prefix:
        return true()
    registered = select(Registration.id).join(Institution).where(Registration.practitioner_id == Practitioner.id,
                                                                 in_region(Institution.region, who))
    return or_(in_region(Practitioner.region, who), exists(registered))


def regional_events(who: Principal):
    """WHERE clause on StatusEvent: events of the people `regional_people` lets the caller see. The event keeps
    the person's region; people of other regions registered here are one uncorrelated set (few, against the
    region's own), which the database builds once per query instead of looking up each event's person."""
    if who.role not in (Role.SETTLEMENT, Role.SUPERVISOR):
        return false()
    if not who.region_prefix:
        return true()
    institutions = select(Institution.id).where(in_region(Institution.region, who))
    from_elsewhere = (select(Practitioner.code).join(Registration, Registration.practitioner_id == Practitioner.id)
                      .where(Registration.institution_id.in_(institutions), ~in_region(Practitioner.region, who)))
    return or_(in_region(StatusEvent.region, who), StatusEvent.practitioner_code.in_(from_elsewhere))


def visible_institutions(who: Principal):
    """WHERE clause on Institution: a supervisor's region, or an institution's own row."""
    if who.role is Role.INSTITUTION:
        return Institution.code == who.scope
    return in_region(Institution.region, who) if who.role is Role.SUPERVISOR else false()


def reviewable_records(who: Principal):
    """WHERE clause on PointRecord: records whose recording authority is the caller's region or below it."""
    return in_region(PointRecord.authority_region, who)


def person_not_found(code: str) -> NotFound:
    return NotFound(f"no practitioner {code}", "PRACTITIONER_NOT_FOUND")


def get_visible_practitioner(session: Session, who: Principal, code: str, lock: bool = False) -> Practitioner:
    query = select(Practitioner).where(Practitioner.code == check_person_code_shape(code), visible_people(who))
    found = session.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise person_not_found(code)
    return found


def get_visible_institution(session: Session, who: Principal, code: str) -> Institution:
    found = session.scalars(select(Institution).where(Institution.code == parse_institution_code(code),
                                                      visible_institutions(who))).first()
    if found is None:
        raise NotFound(f"no institution {code}", "INSTITUTION_NOT_FOUND")
    return found


def get_visible_registration(session: Session, who: Principal, registration_id: int,
                             person_code: str | None = None) -> Registration:
    """A registration at an institution the caller sees (a supervisor: of its region); of `person_code` if given."""
    query = select(Registration).join(Institution).where(Registration.id == registration_id,
                                                         visible_institutions(who))
    if person_code is not None:
        query = query.join(Practitioner, Practitioner.id == Registration.practitioner_id).where(
            Practitioner.code == check_person_code_shape(person_code))
    found = session.scalars(query).first()
    if found is None:
        raise NotFound(f"no registration {registration_id}", "REGISTRATION_NOT_FOUND")
    return found


def get_visible_record(session: Session, who: Principal, record_id: int) -> tuple[PointRecord, Practitioner]:
    found = session.execute(select(PointRecord, Practitioner).join(Practitioner)
                            .where(PointRecord.id == record_id, visible_people(who))).first()
    if found is None:
        raise NotFound(f"no point record {record_id}", "RECORD_NOT_FOUND")
    return found[0], found[1]


def registered_regions(session: Session, person_id: int, on: date) -> set[str]:
    """Regions of the institutions where the person was registered on `on`."""
    return set(session.scalars(select(Institution.region).join(Registration).where(
        Registration.practitioner_id == person_id, Registration.open_on(on))))


def check_not_backdated_into(session: Session, who: Principal, code: str, starts_on: date, today: date) -> None:
    """A person the caller could not see until now (registered only in other regions) is registered here from
    today on: a backdated registration would hand the caller a say over what happened before it was made."""
    if starts_on >= today:
        return
    visible = session.scalars(select(visible_people(who)).select_from(Practitioner).where(Practitioner.code == code)).first()
    if visible is not None and not visible:  # known, but only in other regions
        raise InvalidRequest(f"{code} is registered in another region: a registration here starts today "
                             f"({today}) or later", "REGISTRATION_BACKDATED")

"""Who may see or act on whom: supervisors within their region, institutions their own staff,
practitioners themselves."""
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Principal, Role
from api.db.models import Institution, Practitioner, Registration
from api.errors import Forbidden


def staff_institutions(session: Session, person_id: int) -> list[tuple[str, str]]:
    """(code, region) of every institution the person is or was registered at."""
    return list(session.execute(
        select(Institution.code, Institution.region).join(Registration, Registration.institution_id == Institution.id)
        .where(Registration.practitioner_id == person_id)).all())


def ensure_can_view(session: Session, principal: Principal, person: Practitioner) -> None:
    if principal.role is Role.PRACTITIONER and principal.scope == person.code:
        return
    institutions = staff_institutions(session, person.id)
    if principal.role is Role.INSTITUTION and any(code == principal.scope for code, _ in institutions):
        return
    if principal.role is Role.SUPERVISOR and (
            principal.covers_region(person.region) or any(principal.covers_region(r) for _, r in institutions)):
        return
    raise Forbidden(f"{person.code} is outside what this {principal.role} token may see", "OUT_OF_SCOPE")


def ensure_region(principal: Principal, region: str, what: str) -> None:
    if not principal.covers_region(region):
        raise Forbidden(f"{what} ({region}) is outside your region {principal.scope}", "OUT_OF_SCOPE")


def ensure_institution(principal: Principal, institution: Institution) -> None:
    """The institution itself, or a supervisor of its region."""
    if principal.role is Role.INSTITUTION and principal.scope == institution.code:
        return
    if principal.role is Role.SUPERVISOR and principal.covers_region(institution.region):
        return
    raise Forbidden(f"institution {institution.code} is outside what this {principal.role} token may see",
                    "OUT_OF_SCOPE")

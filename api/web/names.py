"""Regions and institutions shown by name with their code: "北京市朝阳区（110105）", "朝阳第一医院（H11010500001）".
Region names come from api/region_names.py, institution names from the database (one query per page)."""
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Institution
from api.region_names import region_label


def institution_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """code -> name for the codes that name an institution."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    return dict(session.execute(select(Institution.code, Institution.name).where(Institution.code.in_(wanted))).all())


def institution_label(code: str | None, names: dict[str, str], lang: str = "zh") -> str:
    if not code:
        return ""
    name = names.get(code)
    if name is None:
        return code
    return f"{name} ({code})" if lang == "en" else f"{name}（{code}）"


def person_institution_names(session: Session, view) -> dict[str, str]:
    """Names of the institutions a person view mentions: its registrations and its records."""
    return institution_names(session, [r.institution_code for r in view.registrations]
                             + [r.institution_code for r in view.records])


def name_helpers(lang: str, context: dict | None) -> dict:
    """For every template: region_label(code) and institution_named(code), the latter with the page's
    `institution_names` (the code alone where the page has none)."""
    names = (context or {}).get("institution_names") or {}
    return {"region_label": lambda code: region_label(code, lang),
            "institution_named": lambda code: institution_label(code, names, lang)}


def reading_names(session: Session, read, names: dict[str, str]):
    """`read` (filters -> rows with `institution_code`), filling `names` with those rows' institution names: for
    a list whose rows are read after its context is made."""
    def read_and_name(*args):
        rows = read(*args)
        names.update(institution_names(session, [r.institution_code for r in rows]))
        return rows

    return read_and_name

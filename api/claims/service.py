"""Claims submitted for settlement: answered payable or blocked, and moved again whenever the
practitioner's standing changes (blocked <-> payable, paid <-> recovery)."""
import hashlib
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from api.audit import audit
from api.auth.tokens import Principal
from api.claims.schemas import ClaimIn, ClaimState
from api.db.models import Claim, Practitioner
from api.eligibility.repository import load_standings
from api.eligibility.service import UNKNOWN, standing_verdict
from api.errors import Conflict, Forbidden, NotFound
from api.ledger.repository import chunks
from api.pagination import Key, keyset
from points import Policy, Standing
from points.codes import parse_institution_code, parse_person_code
from points.errors import DomainError, RuleViolation

_SAME = ("institution_code", "practitioner_code", "service_date", "emergency", "amount")


def _verdict(standing: Standing | None, code: str, service_date: date, emergency: bool,
             policy: Policy) -> tuple[bool, str]:
    eligible, _, reason, _, _ = standing_verdict(standing, code, service_date, emergency, policy)
    return eligible, reason


def client_of(who: Principal) -> str:
    """A settlement system is its token's region and name: refs are unique per client, and a client only ever
    sees, pays or lists its own claims (a new token with the same scope and name keeps them)."""
    client = f"{who.scope}:{who.name}"
    return client if len(client) <= 120 else f"{who.scope}:sha256:{hashlib.sha256(who.name.encode()).hexdigest()}"


def _normalise(claim: ClaimIn, who: Principal, prefixes: tuple[str, ...], today: date) -> ClaimIn:
    if claim.service_date > today:
        raise RuleViolation(f"service date {claim.service_date} is in the future", "SERVICE_DATE_IN_FUTURE")
    institution = parse_institution_code(claim.institution_code)
    if not who.covers_region(institution[1:7]):
        raise Forbidden(f"institution {institution} is outside your region {who.scope}", "INSTITUTION_OUT_OF_REGION")
    return claim.model_copy(update={"institution_code": institution,
                                    "practitioner_code": str(parse_person_code(claim.practitioner_code, prefixes))})


def submit(session: Session, who: Principal, claims: Sequence[ClaimIn], policy: Policy, today: date,
           now: datetime) -> list[dict]:
    """Idempotent by ref within the client: a known ref with the same content answers its current state; with
    other content, a CLAIM_REF_CONFLICT error for that line. Institutions outside the client's region are refused
    line by line. One result per line, same order. Each claim keeps its verdict and when it was checked."""
    client, actor, prefixes = client_of(who), who.name, policy.person_prefixes
    refs = [c.ref for c in claims]
    known = {}
    for chunk in chunks(sorted(set(refs))):
        for row in session.execute(select(Claim.ref, Claim.state, Claim.reason, *[getattr(Claim, f) for f in _SAME])
                                   .where(Claim.client == client, Claim.ref.in_(chunk))):
            known[row.ref] = row._asdict()
    valid: list[ClaimIn | DomainError] = []
    for claim in claims:
        try:
            valid.append(_normalise(claim, who, prefixes, today))
        except DomainError as exc:
            valid.append(exc)
    standings = load_standings(session, [c.practitioner_code for c in valid if isinstance(c, ClaimIn)])
    results, new_rows = [], []
    for raw, claim in zip(claims, valid):
        if isinstance(claim, DomainError):
            results.append({"ref": raw.ref, "error": {"code": claim.code, "message": claim.message}})
            continue
        content = claim.model_dump(include=set(_SAME))
        if claim.ref in known:
            prior = known[claim.ref]
            if any(prior[f] != content[f] for f in _SAME):
                results.append({"ref": claim.ref, "error": {
                    "code": "CLAIM_REF_CONFLICT", "message": f"ref {claim.ref} was submitted with other content"}})
            else:
                results.append({"ref": claim.ref, "state": prior["state"], "reason": prior["reason"],
                                "duplicate": True})
            continue
        eligible, reason = _verdict(standings.get(claim.practitioner_code), claim.practitioner_code,
                                    claim.service_date, claim.emergency, policy)
        state = ClaimState.PAYABLE if eligible else ClaimState.BLOCKED
        row = {"client": client, "ref": claim.ref, **content, "state": state.value, "reason": reason,
               "submitted_at": now, "updated_at": now, "checked_at": now}
        new_rows.append(row)
        known[claim.ref] = row
        results.append({"ref": claim.ref, "state": state.value, "reason": reason, "duplicate": False})
    if new_rows:
        session.execute(insert(Claim), new_rows)
        audit(session, actor, "claims.submit", "claim", f"{len(new_rows)} claims",
              detail={"blocked": [r["ref"] for r in new_rows if r["state"] == ClaimState.BLOCKED]})
    return results


_NEXT = {  # (state, eligible now) -> new state
    (ClaimState.PAYABLE, False): ClaimState.BLOCKED,
    (ClaimState.BLOCKED, True): ClaimState.PAYABLE,
    (ClaimState.PAID, False): ClaimState.RECOVERY,
    (ClaimState.RECOVERY, True): ClaimState.PAID,
}


def reevaluate(session: Session, policy: Policy, standings: dict[str, Standing], now: datetime,
               actor: str) -> dict[str, list[str]]:
    """Move the claims of these people to match their standing; a claim whose verdict changes is checked at
    `now`. Returns refs by new state."""
    moved: dict[str, list[str]] = {}
    codes = list(standings)
    for chunk in chunks(codes):
        rows = session.execute(select(Claim.id, Claim.ref, Claim.practitioner_code, Claim.service_date,
                                      Claim.emergency, Claim.state, Claim.reason)
                               .where(Claim.practitioner_code.in_(chunk))).all()
        for row in rows:
            eligible, reason = _verdict(standings.get(row.practitioner_code), row.practitioner_code,
                                        row.service_date, row.emergency, policy)
            new_state = _NEXT.get((ClaimState(row.state), eligible))
            if new_state is None and reason == row.reason:
                continue
            values = {"reason": reason, "updated_at": now, "checked_at": now}
            if new_state is not None:
                values["state"] = new_state.value
                moved.setdefault(new_state.value, []).append(row.ref)
            session.execute(update(Claim).where(Claim.id == row.id).values(**values))
    if moved:
        audit(session, actor, "claims.reevaluate", "claim", ",".join(codes)[:64], detail=moved, at=now)
    return moved


def reevaluate_codes(session: Session, policy: Policy, codes: Sequence[str], now: datetime,
                     actor: str) -> dict[str, list[str]]:
    standings = load_standings(session, codes)
    return reevaluate(session, policy, {c: standings.get(c) for c in codes}, now, actor)


def mark_paid(session: Session, who: Principal, ref: str, now: datetime) -> Claim:
    """Only the client's own claim: another client's ref reads as unknown."""
    actor = who.name
    claim = session.scalars(select(Claim).where(Claim.client == client_of(who), Claim.ref == ref)
                            .with_for_update()).first()
    if claim is None:
        raise NotFound(f"no claim {ref}", "CLAIM_NOT_FOUND")
    if claim.state in (ClaimState.PAID, ClaimState.RECOVERY):
        return claim
    if claim.state == ClaimState.BLOCKED:
        raise Conflict(f"claim {ref} is blocked ({claim.reason}) and cannot be paid", "CLAIM_BLOCKED")
    claim.state, claim.paid_at, claim.updated_at = ClaimState.PAID.value, now, now
    audit(session, actor, "claim.paid", "claim", ref, at=now)
    return claim


def list_claims(session: Session, state: ClaimState | None, who: Principal, after: Key | None,
                limit: int) -> list[Claim]:
    """The client's own claims (all of institutions in its region), in id order after the id `after`: limit+1
    of them (keyset)."""
    query = select(Claim).where(Claim.client == client_of(who))
    if state:
        query = query.where(Claim.state == state.value)
    return list(session.scalars(keyset(query, [Claim.id], after, limit)))


def _moves(rows, verdict) -> list[dict]:
    """The claims among `rows` whose state or reason must change, as UPDATE parameters."""
    out = []
    for row in rows:
        eligible, _, reason, _, _ = verdict(row.practitioner_code, row.service_date, row.emergency)
        new_state = _NEXT.get((ClaimState(row.state), eligible))
        if new_state is not None or reason != row.reason:
            out.append({"claim_id": row.id, "new_state": (new_state or ClaimState(row.state)).value,
                        "new_reason": reason})
    return out


def sweep_all(session: Session, policy: Policy, now: datetime, chunk: int = 50_000) -> dict:
    """Every claim against one in-memory snapshot of everyone's standing: a few streaming reads and an UPDATE
    of only the claims that move."""
    from api.eligibility.snapshot import load_snapshot

    snapshot = load_snapshot(session, policy)
    statement = (update(Claim).where(Claim.id == bindparam("claim_id"))
                 .values(state=bindparam("new_state"), reason=bindparam("new_reason"), updated_at=now, checked_at=now))
    after, seen, counts = 0, 0, {}
    while True:
        rows = session.execute(select(Claim.id, Claim.practitioner_code, Claim.service_date, Claim.emergency,
                                      Claim.state, Claim.reason).where(Claim.id > after)
                               .order_by(Claim.id).limit(chunk)).all()
        if not rows:
            break
        moves = _moves(rows, snapshot.verdict)
        if moves:
            session.connection().execute(statement, moves)
        for m in moves:
            counts[m["new_state"]] = counts.get(m["new_state"], 0) + 1
        seen, after = seen + len(rows), rows[-1].id
    session.execute(update(Practitioner).where(Practitioner.claims_version != Practitioner.ledger_version)
                    .values(claims_version=Practitioner.ledger_version))
    if counts:
        audit(session, "scheduler", "claims.sweep", "claim", "all", detail=counts, at=now)
    return {"claims": seen, **counts}


def recheck(session: Session, policy: Policy, now: datetime, full: bool = False) -> dict:
    """Scheduled safety net. Incremental: people whose ledger changed since their claims were last checked,
    and claims held for a code that is now known. Full: every claim (see sweep_all). Idempotent."""
    if full:
        return sweep_all(session, policy, now)
    stale = select(Practitioner.code).where(Practitioner.claims_version != Practitioner.ledger_version)
    unknown_now_known = select(Claim.practitioner_code).where(
        Claim.reason == UNKNOWN, Claim.practitioner_code.in_(select(Practitioner.code)))
    codes = sorted(set(session.scalars(stale)) | set(session.scalars(unknown_now_known.distinct())))
    moved: dict[str, list[str]] = {}
    for chunk in chunks(codes):
        for state, refs in reevaluate_codes(session, policy, chunk, now, "scheduler").items():
            moved.setdefault(state, []).extend(refs)
        session.execute(update(Practitioner).where(Practitioner.code.in_(chunk))
                        .values(claims_version=Practitioner.ledger_version))
    return {"people": len(codes), **{state: len(refs) for state, refs in moved.items()}}

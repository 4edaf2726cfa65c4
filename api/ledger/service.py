"""Ledger use cases. Each validates with the domain, appends to the ledger, re-derives the person's
sanctions and status, and writes an audit entry, all in the caller's transaction (the caller commits)."""
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from api.audit import audit
from api.claims.service import reevaluate
from api.clock import utcnow
from api.db.models import (
    Institution,
    Objection,
    PointRecord,
    Practitioner,
    RecordReview,
    Registration,
    RepairCredit,
    Sanction,
    SuspensionDecision,
)
from api.eligibility.versions import bump_standing
from api.errors import Conflict, NotFound
from api.ledger import changes as changes_of
from api.ledger.repository import load_ledgers
from api.ledger.schemas import (
    PointRecordCreate,
    RegistrationCreate,
    RegistrationEnd,
    RepairCreate,
    ReviewCreate,
    SuspensionDecisionCreate,
)
from api.ledger.status import apply_status
from api.notify import notify
from api.webhooks.outbox import EventSink
from points import Policy, ReviewOutcome, Timeline, derive
from points import ledger as domain
from points.checks import (
    check_record,
    check_registration,
    check_registration_end,
    check_repair,
    check_review,
    check_suspension_decision,
    named_suspension,
)
from points.codes import check_person_code_shape, parse_institution_code
from points.errors import RuleViolation


def get_practitioner(session: Session, code: str, lock: bool = False, by_id: int | None = None) -> Practitioner:
    """By code (or id); `lock` serialises ledger changes of one person (FOR UPDATE on PostgreSQL)."""
    key = Practitioner.id == by_id if by_id is not None else Practitioner.code == check_person_code_shape(code)
    query = select(Practitioner).where(key)
    found = session.scalars(query.with_for_update() if lock else query).first()
    if not found:
        raise NotFound(f"no practitioner {code}", "PRACTITIONER_NOT_FOUND")
    return found


def get_institution(session: Session, code: str) -> Institution:
    found = session.scalars(select(Institution).where(Institution.code == parse_institution_code(code))).first()
    if not found:
        raise NotFound(f"no institution {code}", "INSTITUTION_NOT_FOUND")
    return found


def timeline_of(session: Session, person: Practitioner, policy: Policy) -> Timeline:
    return derive(load_ledgers(session, [person.id])[person.id], policy)


# --- Derived state -------------------------------------------------------------------------------------------

def _desired_sanctions(timeline: Timeline) -> dict[tuple, dict]:
    rows = {}
    for s in timeline.suspensions:
        rows[("suspension", s.year, s.ordinal)] = {
            "decided_on": s.decided_on, "trigger_record_id": s.trigger_record, "starts_on": s.starts_on,
            "ends_on": s.ends_on, "months": s.months, "months_decided": s.months_decided, "single_record": False,
            "cut_short_by": s.cut_short_by}
    for n, t in enumerate(timeline.terminations, 1):
        rows[("termination", t.year, n)] = {
            "decided_on": t.decided_on, "trigger_record_id": t.trigger_record, "starts_on": t.starts_on,
            "ends_on": t.ban_ends_on, "months": None, "months_decided": False, "single_record": t.single_record,
            "cut_short_by": None}
    return rows


_DATES = ("decided_on", "starts_on", "ends_on", "months", "months_decided")  # what a `corrected` event is about


def _news(row: Sanction | None, values: dict) -> str | None:
    """The status-feed kind of a change to a sanction row: `decided` (new, or back after a revocation), `lifted`
    (cut short by a repair), `corrected` (dates or length changed), None (nothing a settlement system sees)."""
    if row is None or row.revoked_at is not None:
        return "decided"
    if values.get("cut_short_by") == "repair" and row.cut_short_by != "repair":
        return "lifted"
    return "corrected" if any(getattr(row, k) != values[k] for k in _DATES) else None


def sync_sanctions(session: Session, person_id: int, timeline: Timeline, reason: str,
                   news: list[tuple[str, Sanction]] | None = None) -> list[tuple[str, str]]:
    """Make the sanction rows match the timeline, slot by slot (kind, year, ordinal): a row follows its slot
    when the trigger record changes; rows that no longer follow are revoked, never deleted. Returns a
    description of each change (with a change of length) in Chinese and English, for the notice to the person; `news` receives
    (feed kind, row) for each change a settlement system sees."""
    now, changes, news = utcnow(), [], news if news is not None else []
    existing = {(s.kind, s.year, s.ordinal): s
                for s in session.scalars(select(Sanction).where(Sanction.practitioner_id == person_id))}
    desired = _desired_sanctions(timeline)
    told = {_described(r.kind, {k: getattr(r, k) for k in _TOLD}) for r in existing.values() if r.revoked_at is None}
    for key, values in desired.items():
        row = existing.get(key)
        months_before = None
        if row is None:
            row = Sanction(practitioner_id=person_id, kind=key[0], year=key[1], ordinal=key[2], updated_at=now,
                           **values)
            session.add(row)
            news.append(("decided", row))
        elif row.revoked_at is not None or any(getattr(row, k) != v for k, v in values.items()):
            months_before = row.months if row.revoked_at is None else None
            kind = _news(row, values)
            for k, v in values.items():
                setattr(row, k, v)
            row.revoked_at, row.revoked_reason, row.updated_at = None, None, now
            if kind:
                news.append((kind, row))
        else:
            continue
        if _described(key[0], values) in told:
            continue  # told exactly this already, e.g. a new trigger with the same days and length: said once
        changes.append(_described(key[0], values, months_before, _decider(session, person_id, key[0], values)))
    live = {_described(key[0], values) for key, values in desired.items()}
    for key, row in existing.items():
        if key not in desired and row.revoked_at is None:
            row.revoked_at, row.revoked_reason, row.updated_at = now, reason[:200], now
            news.append(("lifted", row))
            if _described(key[0], {k: getattr(row, k) for k in _TOLD}) not in live:  # else it moved slots only
                changes.append((f"撤销{_SANCTION_ZH[key[0]]} {row.starts_on} 至 {row.ends_on}",
                                f"withdrawn: {_SANCTION_EN[key[0]]} {row.starts_on} to {row.ends_on}"))
    return changes


_SANCTION_STATUS = {"suspension": "suspended", "termination": "banned"}


def emit_sanction_news(session: Session, sink: EventSink, person: Practitioner, today: date, cause: str,
                       news: list[tuple[str, Sanction]]) -> None:
    """One status event per sanction change, with the sanction's days: `until` is null when it does not run at
    all (withdrawn, or cut short before its first day). Emitted before today's status change, if any."""
    if news:
        session.flush()  # new rows get their ids
    for kind, row in news:
        runs = row.revoked_at is None and row.ends_on >= row.starts_on
        sink.emit(person.code, person.region, person.status, _SANCTION_STATUS[row.kind],
                  row.ends_on if runs else None, today, cause, kind=kind, starts_on=row.starts_on,
                  sanction_id=row.id)


_TOLD = ("starts_on", "ends_on", "months", "months_decided")  # what a sanction notice says


def _described(kind: str, values: dict, months_before: int | None = None,
               decided: tuple[str, date] | None = None) -> tuple[str, str]:
    """For the notice, in Chinese and English: the period, and for a suspension its length, whether decided (and
    by whom, on which day), and a change of length."""
    start, end = values["starts_on"], values["ends_on"]
    zh, en = f"{_SANCTION_ZH[kind]} {start} 至 {end}", f"{_SANCTION_EN[kind]} {start} to {end}"
    if kind != "suspension":
        return zh, en
    months = values["months"]
    length_zh, length_en = f"{months}个月", f"{months} month{'s' if months > 1 else ''}"
    if decided:
        who, day = decided
        length_zh, length_en = f"{length_zh}; {who} {day} 决定", f"{length_en}; decided by {who} on {day}"
    elif not values["months_decided"]:
        length_zh, length_en = f"{length_zh}, 默认期限, 待决定", f"{length_en}, the default, to be decided"
    if months_before is not None and months_before != months:
        length_zh = f"期限由{months_before}个月改为{length_zh}"
        length_en = f"length changed from {months_before} month{'s' if months_before > 1 else ''} to {length_en}"
    return f"{zh} ({length_zh})", f"{en} ({length_en})"


def _decider(session: Session, person_id: int, kind: str, values: dict) -> tuple[str, date] | None:
    """Who decided a suspension's length and on which day (its latest decision), e.g. ("北京市医保局 李科长",
    2026-03-02); None while the length is the default."""
    if kind != "suspension" or not values["months_decided"]:
        return None
    latest = session.scalars(select(SuspensionDecision).where(
        SuspensionDecision.practitioner_id == person_id,
        SuspensionDecision.trigger_record_id == values["trigger_record_id"])
        .order_by(SuspensionDecision.id.desc())).first()
    return (latest.decided_by, latest.decided_on) if latest else None


_SANCTION_ZH = {"suspension": "暂停医保支付资格", "termination": "终止医保支付资格(禁止再次登记备案)"}
_SANCTION_EN = {"suspension": "payment eligibility suspended",
                "termination": "payment eligibility terminated (barred from registering again)"}


def refresh_person(session: Session, person: Practitioner, policy: Policy, today: date, reason: str,
                   actor: str) -> Timeline:
    """Re-derive one person after a ledger change: sanctions, status snapshot, ledger version, their claims.
    A change of status or tally is audited with its before and after."""
    now, before = utcnow(), changes_of.standing(person)
    timeline = timeline_of(session, person, policy)
    news: list[tuple[str, Sanction]] = []
    changes = sync_sanctions(session, person.id, timeline, reason, news)
    bump_standing(session, person)
    sink = EventSink(session, now)
    emit_sanction_news(session, sink, person, today, reason, news)  # decided today, starting later: told now
    apply_status(person, timeline, today, reason, sink)
    person.ledger_version += 1
    reevaluate(session, policy, {person.code: timeline.standing}, now, actor)
    person.claims_version = person.ledger_version
    session.add(person)
    if changes:
        notify(session, person, "sanction", ("; ".join(zh for zh, _ in changes), "; ".join(en for _, en in changes)),
               today=today)
    before, after = changes_of.note(session, person, before, timeline)
    if before != after:
        audit(session, actor, "practitioner.status", "practitioner", person.code, reason,
              {"before": before, "after": after}, subject=person.code)
    return timeline


# --- Use cases -----------------------------------------------------------------------------------------------

def register(session: Session, actor: str, data: RegistrationCreate, policy: Policy, today: date) -> Registration:
    person = get_practitioner(session, data.practitioner_code, lock=True)
    institution = get_institution(session, data.institution_code)
    check_registration(timeline_of(session, person, policy), data.starts_on)
    active = session.scalars(select(Registration).where(
        Registration.practitioner_id == person.id, Registration.institution_id == institution.id,
        Registration.ends_on.is_(None), Registration.starts_on > _last_termination(session, person.id))).first()
    if active:
        raise Conflict(f"{person.code} is already registered at {institution.code}", "ALREADY_REGISTERED",
                       person=person.code, institution=institution.code)
    row = Registration(practitioner_id=person.id, institution_id=institution.id, starts_on=data.starts_on,
                       created_at=utcnow(), created_by=actor)
    session.add(row)
    session.flush()
    refresh_person(session, person, policy, today, "registration", actor)
    audit(session, actor, "registration.create", "registration", row.id, subject=person.code,
          detail={"practitioner": person.code, "institution": institution.code, "starts_on": data.starts_on,
                  "after": {"institution": institution.code, "starts_on": data.starts_on}})
    return row


def end_registration(session: Session, actor: str, registration_id: int, data: RegistrationEnd, policy: Policy,
                     today: date) -> Registration:
    """注销 / 变更: `ends_on` becomes the registration's last day; who, when and why are kept on the row."""
    row = session.get(Registration, registration_id)
    if row is None:
        raise NotFound(f"no registration {registration_id}", "REGISTRATION_NOT_FOUND")
    person = get_practitioner(session, "", lock=True, by_id=row.practitioner_id)
    session.refresh(row)  # read again under the person's lock: a concurrent end has committed by now
    if row.ends_on is not None:
        raise Conflict(f"registration {row.id} already ended on {row.ends_on}", "REGISTRATION_ENDED",
                       registration=row.id, ends=row.ends_on)
    check_registration_end(row.starts_on, data.ends_on, today)
    row.ends_on, row.ended_at, row.ended_by, row.end_reason = data.ends_on, utcnow(), actor, data.reason
    session.add(row)
    session.flush()
    refresh_person(session, person, policy, today, f"registration {row.id} ended", actor)
    institution = session.get(Institution, row.institution_id)
    audit(session, actor, "registration.end", "registration", row.id, data.reason, subject=person.code,
          detail={"practitioner": person.code, "institution": institution.code, "starts_on": row.starts_on,
                  "before": {"ends_on": None}, "after": {"ends_on": data.ends_on}})
    return row


def _last_termination(session: Session, person_id: int) -> date:
    last = session.scalars(select(Sanction.decided_on).where(
        Sanction.practitioner_id == person_id, Sanction.kind == "termination",
        Sanction.revoked_at.is_(None)).order_by(Sanction.decided_on.desc())).first()
    return last or date.min


def record_points(session: Session, actor: str, data: PointRecordCreate, policy: Policy, today: date,
                  authority_region: str | None = None) -> PointRecord:
    """`authority_region`: the recording authority's region (default: the institution's)."""
    person = get_practitioner(session, data.practitioner_code, lock=True)
    institution = get_institution(session, data.institution_code)
    check_record(policy, person.region, data.violation_code, data.points, data.decision_date, today)
    worked_there = session.scalars(select(Registration.id).where(
        Registration.practitioner_id == person.id, Registration.institution_id == institution.id,
        Registration.starts_on <= data.decision_date)).first()
    if worked_there is None:
        raise Conflict(f"{person.code} was not registered at {institution.code} by {data.decision_date}",
                       "NOT_REGISTERED_AT_INSTITUTION", person=person.code, institution=institution.code,
                       day=data.decision_date)
    duplicate = session.scalars(select(PointRecord.id).where(
        PointRecord.practitioner_id == person.id, PointRecord.case_number == data.case_number)).first()
    if duplicate is not None:
        raise Conflict(f"case {data.case_number} already has record {duplicate} for {person.code}",
                       "DUPLICATE_RECORD", case=data.case_number, record=duplicate)
    row = PointRecord(practitioner_id=person.id, institution_id=institution.id, recorded_by=actor,
                      recorded_at=utcnow(), authority_region=authority_region or institution.region, **data.model_dump(exclude={"practitioner_code", "institution_code"}))
    session.add(row)
    session.flush()
    refresh_person(session, person, policy, today, f"record {row.id}", actor)
    audit(session, actor, "record.create", "point_record", row.id, subject=person.code,
          detail={**data.model_dump(mode="json"), "after": {"record": row.id, "points": data.points,
                                                            "violation": data.violation_code,
                                                            "case": data.case_number}})
    violation = policy.violation(data.violation_code, person.region, data.decision_date)
    source = f"{data.authority} {data.case_number}, {data.decision_date}"
    zh = f"记分告知: {violation.name_zh}, 记{data.points}分 ({source}); 可在规定期限内提出异议申诉"
    en = (f"Points recorded: {violation.name_en}, {data.points} point{'s' if data.points > 1 else ''} ({source}); "
          "you may object within the set period")
    notify(session, person, "record", (zh, en), row.id, today=today)
    return row


_OUTCOME_ZH = {ReviewOutcome.CONFIRM: "维持", ReviewOutcome.CHANGE: "变更", ReviewOutcome.ANNUL: "撤销"}
_OUTCOME_EN = {ReviewOutcome.CONFIRM: "confirmed", ReviewOutcome.CHANGE: "changed", ReviewOutcome.ANNUL: "annulled"}


def review_record(session: Session, actor: str, record_id: int, data: ReviewCreate, policy: Policy,
                  today: date) -> RecordReview:
    """Reviews of one record are serialised (the person's row is locked first). A record takes one review per
    procedure: the first review, one closing an open objection, or a correction naming the latest review in
    `supersedes`; any other is refused, so parallel or repeated reviews never pile up."""
    record = session.get(PointRecord, record_id)
    if record is None:
        raise NotFound(f"no point record {record_id}", "RECORD_NOT_FOUND")
    person = get_practitioner(session, "", lock=True, by_id=record.practitioner_id)
    _check_review_turn(session, record.id, data.supersedes, data.decided_on)
    violation = policy.violation(record.violation_code, person.region, record.decision_date)
    check_review(violation, data.outcome, data.points, data.decided_on, record.decision_date, today)
    row = RecordReview(record_id=record.id, reviewer=actor, created_at=utcnow(),
                       **data.model_dump(exclude={"supersedes"}))
    session.add(row)
    session.flush()
    refresh_person(session, person, policy, today, f"review {row.id} ({data.outcome}) of record {record.id}", actor)
    points_zh, points_en = (f"为{data.points}分", f" to {data.points} points") if data.points else ("", "")
    notify(session, person, "review", (
        f"复核结果: 记分 {record.case_number} {_OUTCOME_ZH[data.outcome]}{points_zh}; 理由: {data.reason}",
        f"Review: record {record.case_number} {_OUTCOME_EN[data.outcome]}{points_en}; reason: {data.reason}"),
        record.id, today=today)
    audit(session, actor, f"record.{data.outcome}", "point_record", record.id, data.reason,
          {"review": row.id, "points": data.points, "decided_on": data.decided_on,
           **changes_of.review_change(session, person, record.id, row.id, policy)}, subject=person.code)
    return row


def add_repair(session: Session, actor: str, code: str, data: RepairCreate, policy: Policy, today: date,
               authority_region: str | None = None) -> RepairCredit:
    """`authority_region`: the granting authority's region, whose rules apply (default: the person's)."""
    person = get_practitioner(session, code, lock=True)
    region = authority_region or person.region
    check_repair(load_ledgers(session, [person.id])[person.id], policy,
                 domain.RepairCredit(0, data.activity_date, data.activity, region), today)
    row = RepairCredit(practitioner_id=person.id, recorded_by=actor, created_at=utcnow(), authority_region=region,
                       **data.model_dump())
    session.add(row)
    session.flush()
    refresh_person(session, person, policy, today, f"repair {row.id}", actor)
    audit(session, actor, "repair.create", "repair_credit", row.id, data.activity,
          {**data.model_dump(mode="json"), **changes_of.tally_change(session, person)}, subject=person.code)
    return row


def decide_suspension(session: Session, actor: str, code: str, data: SuspensionDecisionCreate, policy: Policy,
                      today: date, authority_region: str | None = None) -> Timeline:
    """A length for the suspension `data` names: by its trigger record (year and ordinal, when sent instead, are
    resolved to the trigger as the timeline stands now). A later decision corrects an earlier one."""
    person = get_practitioner(session, code, lock=True)
    suspension = named_suspension(timeline_of(session, person, policy), data.trigger_record_id, data.year,
                                  data.ordinal)
    check_suspension_decision(suspension, policy.parameters(person.region, suspension.decided_on), data.months,
                              data.decided_on, today)
    named = {"trigger_record_id": suspension.trigger_record, "year": suspension.year, "ordinal": suspension.ordinal}
    session.add(SuspensionDecision(practitioner_id=person.id, months=data.months, decided_on=data.decided_on,
                                   reason=data.reason, decided_by=actor, created_at=utcnow(),
                                   authority_region=authority_region or person.region, **named))
    session.flush()
    timeline = refresh_person(session, person, policy, today, "suspension decision", actor)
    audit(session, actor, "suspension.decide", "practitioner", person.code, data.reason,
          {**data.model_dump(mode="json"), **named,
           "before": {"months": suspension.months},
           "after": {"months": data.months}}, subject=person.code)
    return timeline


def _check_review_turn(session: Session, record_id: int, supersedes: int | None, decided_on: date) -> None:
    """Reviews apply by decision date, so a new one dated before the latest would be kept yet never count."""
    latest, latest_on = session.execute(select(func.max(RecordReview.id), func.max(RecordReview.decided_on))
                                        .where(RecordReview.record_id == record_id)).one()
    if latest is None:
        return
    if decided_on < latest_on:
        raise RuleViolation(f"record {record_id} was last reviewed on {latest_on}; a new review cannot be decided "
                            f"before that", "REVIEW_BEFORE_LATEST", record=record_id, day=latest_on)
    if supersedes == latest:
        return
    if session.scalars(select(Objection.id).where(Objection.record_id == record_id,
                                                  Objection.state == "open")).first() is not None:
        return
    raise Conflict(f"record {record_id} was already reviewed (review {latest}); to correct it, send "
                   f"supersedes={latest}", "RECORD_ALREADY_REVIEWED", record=record_id, review=latest)


def effective_points_of(session: Session, person: Practitioner, policy: Policy, record_id: int) -> int:
    return timeline_of(session, person, policy).points.get(record_id, 0)

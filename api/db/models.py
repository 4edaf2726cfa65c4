"""Tables and their request/response models (SQLModel Base/Create/Public pattern).

Tables are never request bodies: the API takes a *Create model, validates it, then builds the table row.
The ledger tables are append-only; `sanction` and the status columns of `practitioner` are derived
from the ledger by the service layer and only ever written by it.
"""
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, field_validator
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    LargeBinary,
    Numeric,
    Text,
    UniqueConstraint,
    and_,
    or_,
    text,
)
from sqlmodel import Field, SQLModel

from api.dates import Day
from api.db.base import UTCDateTime
from points.codes import parse_institution_code
from points.ledger import Responsibility, ReviewOutcome
from points.privacy import mask_id_numbers


class InstitutionKind(StrEnum):
    HOSPITAL = "hospital"   # 定点医疗机构
    PHARMACY = "pharmacy"   # 定点零售药店


class StaffCategory(StrEnum):
    MEDICAL = "medical"                 # 医疗类
    PHARMACY = "pharmacy"               # 药学类
    NURSING = "nursing"                 # 护理类
    TECHNICAL = "technical"             # 技术类
    SETTLEMENT_REVIEW = "settlement_review"   # 医保结算审核
    PHARMACY_PRINCIPAL = "pharmacy_principal"  # 药店主要负责人


FreeText = Annotated[str, AfterValidator(mask_id_numbers)]  # national ID numbers are masked on the way in


def _created():
    return Field(sa_type=UTCDateTime, nullable=False)


# --- Institutions and practitioners -------------------------------------------------------------------------

class InstitutionBase(SQLModel):
    code: str = Field(max_length=12, unique=True, index=True, description="定点医药机构代码, e.g. H11010500001")
    name: FreeText = Field(min_length=1, max_length=200)
    kind: InstitutionKind = Field(sa_type=Text)
    region: str = Field(max_length=6, description="GB/T 2260 region code")


class InstitutionCreate(InstitutionBase):
    model_config = {"json_schema_extra": {"examples": [{"code": "H11010500001", "name": "北京市朝阳区第一医院", "kind": "hospital", "region": "110105"}]}}

    @field_validator("code")
    @classmethod
    def _code_shape(cls, v: str) -> str:
        return parse_institution_code(v)


class Institution(InstitutionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _created()


class PractitionerBase(SQLModel):
    code: str = Field(max_length=16, description="医保相关人员代码")  # unique: ix_practitioner_code
    name: FreeText = Field(min_length=1, max_length=100)
    category: StaffCategory = Field(sa_type=Text)


class PractitionerCreate(PractitionerBase):
    pass


class Practitioner(PractitionerBase, table=True):
    # the supervisors' search by name prefix (LIKE 'x%' on PostgreSQL needs text_pattern_ops whatever the collation)
    __table_args__ = (Index("ix_practitioner_code", "code", unique=True,  # with id: the snapshot loads by
                            postgresql_include=["id"]),                 # code from the index alone (PostgreSQL)
                      Index("ix_practitioner_name", "name", postgresql_ops={"name": "text_pattern_ops"}),
                      Index("ix_practitioner_status_code", "status", "code"),  # lists by status, keyset by code
                      # a region's people as one range, from the index alone (the overview, 0020)
                      Index("ix_practitioner_region", "region", postgresql_include=["id"]),
                      # the year rollover clears only non-zero tallies of a past year
                      Index("ix_practitioner_tallied", "tally_year", postgresql_where=text("tally > 0"),
                            sqlite_where=text("tally > 0")))

    id: int | None = Field(default=None, primary_key=True)
    region: str = Field(max_length=6, description="administering region: from the code")
    created_at: datetime = _created()
    # Derived snapshot, written only by the service from the ledger: current as of `status_clock.as_of` (or a
    # later day for a person whose ledger changed since); a row is written only when one of its values changes.
    status: str = Field(default="unregistered", max_length=16, index=True)
    status_until: date | None = None
    ledger_version: int = Field(default=0, description="bumped on every ledger change of this person")
    claims_version: int = Field(default=0, description="the ledger_version their claims were last checked at")
    tally: int = Field(default=0, description="points this year (derived); a non-zero tally is of tally_year")
    standing_version: int = Field(default=0, index=True, sa_type=BigInteger,
                                  description="value of the standing counter when this person's standing last changed")
    tally_year: int | None = None


class Registration(SQLModel, table=True):
    """登记备案 at one institution; several at once for 多点执业."""

    __table_args__ = (Index("ix_registration_institution_practitioner", "institution_id", "practitioner_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    starts_on: date = Field(index=True)  # start and end indexed: the status job finds who crossed a boundary
    ends_on: date | None = Field(default=None, index=True,
                                 description="last registered day (注销 / 变更); None = open")
    created_at: datetime = _created()
    created_by: str = Field(max_length=100)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when the end was recorded
    ended_by: str | None = Field(default=None, max_length=100)
    end_reason: str | None = Field(default=None, max_length=1000)

    @classmethod
    def open_on(cls, day: date):
        """The SQL condition: the registration covers `day` (begun by it, not ended before it)."""
        return and_(cls.starts_on <= day, or_(cls.ends_on.is_(None), cls.ends_on >= day))


# --- The ledger (append-only) --------------------------------------------------------------------------------

class PointRecordBase(SQLModel):
    violation_code: str = Field(max_length=16)
    points: int = Field(ge=1, le=12)
    responsibility: Responsibility = Field(default=Responsibility.MAIN, sa_type=Text)
    decision_date: Day = Field(description="记分时点: date of the penalty or agreement decision (China)")
    case_number: FreeText = Field(min_length=1, max_length=100, description="the decision's case number")
    authority: FreeText = Field(min_length=1, max_length=200, description="the deciding authority")


class PointRecord(PointRecordBase, table=True):
    __tablename__ = "point_record"
    __table_args__ = (CheckConstraint("points BETWEEN 1 AND 12", name="points_range"),
                      # the overview's records of a year by month, type and institution, read from the index (0020)
                      Index("ix_point_record_decision_date", "decision_date", "practitioner_id", "institution_id",
                            "violation_code", "points"))

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    authority_region: str = Field(max_length=6, description="the deciding authority's region (the decider's scope)")
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = _created()


class RecordReview(SQLModel, table=True):
    """Outcome of an objection or appeal: confirm, change the points, or annul."""

    __tablename__ = "record_review"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="point_record.id", index=True)
    outcome: ReviewOutcome = Field(sa_type=Text)
    points: int | None = None
    decided_on: date
    reason: str = Field(max_length=1000)
    reviewer: str = Field(max_length=100)
    created_at: datetime = _created()


class RepairCredit(SQLModel, table=True):
    __tablename__ = "repair_credit"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    activity_date: date
    activity: str = Field(max_length=200)
    authority_region: str = Field(max_length=6, description="the deciding authority's region (the decider's scope)")
    recorded_by: str = Field(max_length=100)
    created_at: datetime = _created()


class SuspensionDecision(SQLModel, table=True):
    """A length for the suspension its trigger record started; the latest row for a trigger wins."""

    __tablename__ = "suspension_decision"

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    # None only for a decision made before 0013 whose suspension could not be found then (kept, not applied)
    trigger_record_id: int | None = Field(default=None, foreign_key="point_record.id",
                                          description="the record whose points crossed the threshold")
    year: int  # the suspension's points year and ordinal when decided: for reading only
    ordinal: int = 1
    months: int
    decided_on: date
    decided_by: str = Field(max_length=100)
    authority_region: str = Field(max_length=6, description="the deciding authority's region (the decider's scope)")
    reason: str = Field(default="", max_length=1000)
    created_at: datetime = _created()


# --- Derived sanctions ---------------------------------------------------------------------------------------

class Sanction(SQLModel, table=True):
    """A suspension or termination as derived from the ledger. Re-derivation never deletes a row: one that
    no longer follows from the ledger (after an annulment, say) is marked revoked with when and why. A row is
    a slot (kind, year, ordinal): when its trigger record changes, the row follows (and a length decided for
    the old trigger no longer applies)."""

    __table_args__ = (UniqueConstraint("practitioner_id", "kind", "year", "ordinal", name="uq_sanction_slot"),
                      # the to-do's suspensions of undecided length, from the index alone (0020)
                      Index("ix_sanction_undecided", "months_decided", "kind", "revoked_at", "ends_on",
                            "trigger_record_id"))

    id: int | None = Field(default=None, primary_key=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    kind: str = Field(max_length=16)  # suspension | termination
    year: int
    ordinal: int = 1
    decided_on: date
    trigger_record_id: int = Field(foreign_key="point_record.id")
    starts_on: date = Field(index=True)  # start and end indexed: the status job finds who crossed a boundary
    ends_on: date = Field(index=True, description="suspension: last suspended day; termination: last day of the ban")
    months: int | None = None
    months_decided: bool = False
    single_record: bool = False
    cut_short_by: str | None = Field(default=None, max_length=16)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=200)
    updated_at: datetime = _created()


# --- Claims and audit ----------------------------------------------------------------------------------------

class Claim(SQLModel, table=True):
    """A claim submitted for settlement, kept so later status changes can block or flag it."""

    __table_args__ = (Index("ix_claim_practitioner_service", "practitioner_code", "service_date"),
                      Index("ix_claim_client_state_id", "client", "state", "id"),  # a client's list, keyset by id
                      UniqueConstraint("client", "ref", name="uq_claim_client_ref"))

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=120, description="the settlement system that submitted it: refs are its own")
    ref: str = Field(max_length=64)
    institution_code: str = Field(max_length=12)
    practitioner_code: str = Field(max_length=16)
    service_date: date
    emergency: bool = False
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    state: str = Field(max_length=16, index=True)  # payable | blocked | paid | recovery
    reason: str = Field(max_length=32)
    submitted_at: datetime = _created()
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = _created()
    checked_at: datetime = _created()  # when `state` and `reason` were last decided: the verdict as known then


class AuditLog(SQLModel, table=True):
    """Who changed what, when and why. Append-only and chained with a keyed hash (api/audit.py)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject_seq", "subject", "seq"),)  # a person's history, newest first

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(sa_type=BigInteger, unique=True, index=True, description="position in the hash chain")
    at: datetime = _created()
    actor: str = Field(max_length=100)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    subject: str | None = Field(default=None, max_length=16, description="the person the entry is about")
    reason: str = Field(default="", max_length=1000)
    detail: str = Field(default="{}", sa_type=Text)  # JSON; "before" and "after" where something changed
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    keyed: bool = Field(default=False, description="hash is an HMAC under the audit key (False: written before it)")


# --- Access, idempotency, procedure --------------------------------------------------------------------------

class ApiToken(SQLModel, table=True):
    """An issued bearer token or API key. The token itself is signed and never stored; this row lets it be
    listed and revoked."""

    __tablename__ = "api_token"

    id: str = Field(primary_key=True, max_length=32, description="token id (jti)")
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    scope: str = Field(max_length=32)
    issued_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PageSession(SQLModel, table=True):
    """A browser signed in to the pages (api/auth/sessions.py). Its cookie holds a random value; only that
    value's SHA-256 is stored, so this table cannot be used to sign in."""

    __tablename__ = "page_session"

    id: str = Field(primary_key=True, max_length=64, description="SHA-256 (hex) of the cookie's value")
    token_id: str = Field(foreign_key="api_token.id", index=True, max_length=32)
    role: str = Field(max_length=16)
    scope: str = Field(max_length=32)
    name: str = Field(max_length=200)
    token_expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = _created()
    last_seen_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_reason: str | None = Field(default=None, max_length=16)  # logout | idle | expired | revoked | replaced


class IdempotencyRecord(SQLModel, table=True):
    """The stored answer to a POST made with an Idempotency-Key, replayed when the same request repeats."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_record_principal_key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=32)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: str = Field(sa_type=Text)
    created_at: datetime = _created()


class Objection(SQLModel, table=True):
    """异议申诉: a practitioner's objection to one record, closed by a review. At most one is open per record:
    a partial unique index, so parallel filings cannot both succeed."""

    __table_args__ = (Index("uq_objection_record_id_open", "record_id", unique=True,
                            sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="point_record.id", index=True)
    practitioner_id: int = Field(foreign_key="practitioner.id", index=True)
    reason: str = Field(max_length=2000)
    state: str = Field(default="open", max_length=16, index=True)  # open | reviewed | duplicate (migration 0012)
    filed_at: datetime = _created()
    review_id: int | None = Field(default=None, foreign_key="record_review.id")


class ObjectionEvidence(SQLModel, table=True):
    """证据材料: a PDF, JPEG or PNG filed with an objection, kept in the database (so backups hold it). Its type
    comes from its first bytes, never from its name; the name is masked like other free text (api/evidence)."""

    __tablename__ = "objection_evidence"

    id: int | None = Field(default=None, primary_key=True)
    objection_id: int = Field(foreign_key="objection.id", index=True)
    file_name: str = Field(max_length=200)
    media_type: str = Field(max_length=32)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_at: datetime = _created()


class Notification(SQLModel, table=True):
    """告知: what the person and their institutions are told (records, reviews, sanctions)."""

    __table_args__ = (Index("ix_notification_recipient", "recipient_kind", "recipient_code"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_kind: str = Field(max_length=16)  # practitioner | institution
    recipient_code: str = Field(max_length=16)
    subject_code: str = Field(max_length=16, description="the practitioner concerned")
    kind: str = Field(max_length=32)
    message: str = Field(max_length=1000)
    message_en: str | None = Field(default=None, max_length=1000)  # None: written before 0021, Chinese only
    record_id: int | None = Field(default=None, foreign_key="point_record.id")
    created_at: datetime = _created()


# --- Scheduler and webhooks ---------------------------------------------------------------------------------

class JobRun(SQLModel, table=True):
    """One run of a scheduled job for one period (a day, a year, a 5-minute slot). The unique key makes a
    period run once, whichever scheduler gets there first; a failed run may be retried."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_run_job_period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    period: str = Field(max_length=32)
    runner: str = Field(max_length=64)
    state: str = Field(max_length=16)  # running | succeeded | failed
    started_at: datetime = _created()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detail: str = Field(default="{}", sa_type=Text)


class ChangeCounter(SQLModel, table=True):
    """Monotonic counters. 'standing' is bumped, in the same transaction, by every change of anyone's standing
    (sanctions, registrations); API workers poll it to refresh their in-memory eligibility snapshot."""

    __tablename__ = "change_counter"

    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0, sa_type=BigInteger)


class SnapshotImage(SQLModel, table=True):
    """A saved copy of the eligibility snapshot's arrays (api/eligibility/image.py): a header row, then each array
    in parts of at most a few MiB, so a starting worker installs everyone without reading every person."""

    __tablename__ = "snapshot_image"

    name: str = Field(primary_key=True, max_length=16)  # header | keys | since | other_at | other_days | other_states
    part: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


class StatusClock(SQLModel, table=True):
    """One row: the day every stored status, its end and tally are current as of (None: never brought up to
    date, so the next run re-derives everyone). Moving it re-derives only the people whose sanctions or
    registrations began or ended in between; its row lock makes runs of the status job take turns."""

    __tablename__ = "status_clock"

    id: int = Field(default=1, primary_key=True)
    as_of: date | None = None


class SchedulerLease(SQLModel, table=True):
    """Only the holder of an unexpired lease runs jobs."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class StatusEvent(SQLModel, table=True):
    """Outbox and status feed: a change of a person's standing (a status change taking effect, or a sanction
    decided, corrected or lifted), written in the transaction that made it and numbered (`seq`) when that
    transaction commits; the scheduler fans it out to a delivery per matching subscription
    (api/webhooks/outbox.py)."""

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_seq", "seq", unique=True),  # the feed, in commit order
                      Index("ix_status_event_region_seq", "region", "seq"))  # a region's part of it

    id: int | None = Field(default=None, primary_key=True)
    practitioner_code: str = Field(max_length=16, index=True)
    kind: str = Field(default="effective", max_length=16,
                      description="effective (status changed) | decided | corrected | lifted (a sanction)")
    previous_status: str = Field(max_length=16)
    status: str = Field(max_length=16)
    starts_on: date | None = Field(default=None, description="first day of the status or sanction")
    until: date | None = None
    effective_on: date
    sanction_id: int | None = Field(default=None, description="the sanction a decided/corrected/lifted event is about")
    seq: int | None = Field(default=None, sa_type=BigInteger,
                            description="position in the status feed, given when the transaction commits")
    cause: str = Field(max_length=200)
    region: str = Field(default="", max_length=6, description="the person's region: which subscriptions get it")
    fanned_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True,
                                           description="when the scheduler made its deliveries (None: not yet)")
    created_at: datetime = _created()


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=32, index=True, description="token id of the settlement client")
    owner_name: str = Field(max_length=200)
    region_prefix: str = Field(default="", max_length=6, description="events of people in this region only")
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)
    active: bool = True
    created_at: datetime = _created()
    deactivated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookBatch(SQLModel, table=True):
    """One POST to a subscription: up to 100 of its pending deliveries, in feed order, retried as one. At most
    one batch per subscription is pending at a time (a partial unique index), so batches go out in order."""

    __tablename__ = "webhook_batch"
    __table_args__ = (Index("ix_webhook_batch_due", "state", "next_attempt_at"),
                      Index("uq_webhook_batch_subscription_id_pending", "subscription_id", unique=True,
                            sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")))

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    events: int
    state: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _created()
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
                      Index("ix_webhook_delivery_subscription_id_id", "subscription_id", "id"),
                      UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_subscription_event"))

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    event_id: int = Field(foreign_key="status_event.id")
    batch_id: int | None = Field(default=None, foreign_key="webhook_batch.id", index=True,
                                 description="the batch (POST) that carries it; None until one is made")
    state: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- Public (response) models ----------------------------------------------------------------------------------

class InstitutionPublic(InstitutionBase):
    id: int
    created_at: datetime


class PointRecordPublic(PointRecordBase):
    # an answer reports what is stored; only requests are held to the range (Day)
    decision_date: date = Field(description="记分时点: date of the penalty or agreement decision (China)")
    id: int
    practitioner_code: str
    institution_code: str
    recorded_by: str
    recorded_at: datetime

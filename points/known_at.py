"""The ledger as it stood at an instant. "Was this person payable on D as the record stood at T?" is
`eligibility(derive(as_known_at(ledger, T), policy), D)`: only what had been recorded by T counts.

Every entry keeps the instant it was recorded (`recorded_at`; a registration's end also `end_recorded_at`).
An entry without one (None) counts as known from the start, so values built without instants are unchanged."""
from dataclasses import replace
from datetime import datetime

from points.errors import RuleViolation
from points.ledger import Ledger


def _known(recorded_at: datetime | None, at: datetime) -> bool:
    return recorded_at is None or recorded_at <= at


def as_known_at(ledger: Ledger, at: datetime) -> Ledger:
    """The entries recorded at or before `at` (an aware instant); a registration whose end was recorded after
    `at` is still open."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise RuleViolation(f"{at.isoformat()} has no UTC offset: it names no instant", "INVALID_KNOWN_AT")
    return replace(
        ledger,
        records=tuple(r for r in ledger.records if _known(r.recorded_at, at)),
        reviews=tuple(r for r in ledger.reviews if _known(r.recorded_at, at)),
        repairs=tuple(r for r in ledger.repairs if _known(r.recorded_at, at)),
        decisions=tuple(d for d in ledger.decisions if _known(d.recorded_at, at)),
        registrations=tuple(r if _known(r.end_recorded_at, at) else replace(r, ends_on=None, end_recorded_at=None)
                            for r in ledger.registrations if _known(r.recorded_at, at)),
    )

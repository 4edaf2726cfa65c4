"""Builders for ledgers in domain tests: short, explicit, no database."""
from datetime import date
from importlib.resources import files

from points import Ledger, PointRecord, Registration, parse_policy

POLICY_TEXT = files("points").joinpath("data/policy.toml").read_text(encoding="utf-8")
POLICY = parse_policy(POLICY_TEXT)
BEIJING = "110105"
TIANJIN = "120101"
PERSON = "D110105000001"
# One violation code per band, so a record's points always fall inside its band.
BAND_CODE = {**dict.fromkeys(range(1, 4), "L01"), **dict.fromkeys(range(4, 7), "H01"),
             **dict.fromkeys(range(7, 10), "S01"), **dict.fromkeys(range(10, 13), "F01")}


def rec(id: int, points: int, on: date) -> PointRecord:
    return PointRecord(id=id, violation=BAND_CODE[points], points=points, decision_date=on, case_number=f"C{id}")


def ledger(*records: PointRecord, region: str = BEIJING, registered: date = date(2020, 1, 1), **more) -> Ledger:
    more.setdefault("registrations", (Registration(1, "H11010500001", registered),))
    return Ledger(person=PERSON, region=region, records=tuple(records), **more)


def with_rows(rows: str):
    """The shipped policy plus parameter rows (TOML `[[parameters]]` tables) for one test."""
    return parse_policy(POLICY_TEXT + "\n" + rows)

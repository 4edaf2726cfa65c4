"""The in-memory snapshot answers exactly as the database does, and follows changes."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import to_json
from sqlalchemy import select
from sqlmodel import Session

from api.db.models import Institution, Practitioner, Registration
from api.demo import load_demo
from api.eligibility.batch import batch_json
from api.eligibility.packed import CodePacker, States, plan, state_of
from api.eligibility.repository import load_standings
from api.eligibility.service import LineParser, answer_lines, db_verdict
from api.eligibility.snapshot import Snapshot, load_snapshot, refresh_snapshot
from api.ledger import service as ledger
from api.ledger.schemas import RegistrationCreate, RegistrationEnd
from api.live import Live
from points import Standing, eligibility
from tests.conftest import TODAY, wipe
from tests.db.factories import HOSPITAL, record

DAYS = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 1500, 9)]


def test_snapshot_answers_like_the_database_for_everyone_on_every_day(session, policy):
    load_demo(session, policy, TODAY, people=150)
    codes = session.scalars(select(Practitioner.code).order_by(Practitioner.code)).all()
    for n, code in enumerate(codes[:40]):  # ended registrations, some followed by another (变更), gaps or none
        first = session.scalars(select(Registration).join(Practitioner).where(Practitioner.code == code)).first()
        ends_on = max(first.starts_on, TODAY - timedelta(days=30 * n))
        ledger.end_registration(session, "test", first.id, RegistrationEnd(ends_on=ends_on, reason="注销"), policy,
                                TODAY)
        if n % 3:
            again = ends_on + timedelta(days=1 + 20 * (n % 2))
            ledger.register(session, "test", RegistrationCreate(practitioner_code=code, institution_code=HOSPITAL,
                                                                starts_on=min(again, TODAY)), policy, TODAY)
    snapshot, from_db = load_snapshot(session, policy), db_verdict(load_standings(session, codes), policy)
    assert len(snapshot) == len(codes)
    assert sum(since >= 0 for since in snapshot.since) > len(codes) // 2  # most are a registration day
    for code in codes:
        for day in DAYS:
            for emergency in (False, True):
                assert snapshot.verdict(code, day, emergency) == from_db(code, day, emergency), (code, day)
    assert snapshot.verdict("D110105999999", TODAY, False)[2] == "UNKNOWN_PRACTITIONER"


def test_refresh_reloads_only_the_people_whose_standing_changed(committed_engine, policy):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        load_demo(session, policy, TODAY, people=80)
        session.commit()
        snapshot = load_snapshot(session, policy)
        assert refresh_snapshot(session, snapshot) == 0
        code = session.scalars(
            select(Practitioner.code).join(Registration, Registration.practitioner_id == Practitioner.id)
            .join(Institution).where(Practitioner.status == "normal", Institution.code == HOSPITAL)
            .order_by(Practitioner.code)).first()
        unchanged = session.scalars(select(Practitioner.code).where(Practitioner.code != code)).first()
    with Session(committed_engine) as other:  # another process's write
        record(other, policy, code, 9, TODAY - timedelta(days=5), violation="S01")
        other.commit()
    with Session(committed_engine) as session:
        assert snapshot.verdict(code, TODAY, False)[0] is True
        assert refresh_snapshot(session, snapshot) == 1
        assert snapshot.verdict(code, TODAY, False)[:3] == (False, "suspended", "SUSPENDED")
    lines = [{"code": c, "date": (TODAY - timedelta(days=d)).isoformat(), "emergency": d % 2 == 0}
             for c in (code, unchanged) for d in range(0, 40, 3)]  # changed since the load, and not
    parser = LineParser(policy.person_prefixes, snapshot.__contains__)
    assert batch_json(lines, parser, snapshot, None, None) == to_json(
        answer_lines(lines, parser, lambda codes: snapshot.verdict, None))  # all answered by the snapshot


DAY = st.integers(0, 400).map(lambda n: date(2025, 1, 1) + timedelta(days=n))


@given(st.lists(st.tuples(DAY, DAY), max_size=3), st.lists(st.tuples(DAY, DAY), max_size=2),
       st.lists(st.tuples(DAY, st.none() | DAY), max_size=3), st.booleans())
def test_a_standing_kept_as_states_by_day_answers_as_the_standing_does(suspensions, terminations, registrations,
                                                                     emergency):
    standing, states = Standing.of(suspensions, terminations, registrations), States()
    entry = plan(standing, states)
    for n in range(-2, 404):
        day = date(2025, 1, 1) + timedelta(days=n)
        e = eligibility(standing, day, emergency, {"suspended", "banned", "terminated"})
        plain, exempted, _ = states.answers[state_of(entry, day.toordinal())]
        answer = exempted if emergency and exempted else plain
        assert answer == (e.eligible, e.status, e.reason, e.until, e.rule.value), (day, entry)


def test_codes_pack_to_one_int_each_and_back():
    packer = CodePacker(["D", "HY", "HJ"])
    codes = ["D110105000123", "HY310101000042", "HJ110105999999", "D110105000124"]
    assert [packer.unpack(key) for key in packer.pack_all(codes)] == codes
    assert sorted(packer.pack_all(codes)) == packer.pack_all(sorted(codes))  # the order of the codes
    odd = ["d110105000123", "X110105000123", "D11010500012", "D110105 00123", "D11010500012١", "D+10105000123",
           "D110105_00123", None, 7]
    assert packer.pack_all(odd) == [None] * len(odd) == [packer.pack(code) for code in odd]


def test_a_reload_keeps_answering_this_process_changes_from_the_database(committed_engine, policy, monkeypatch):
    """When the snapshot is reloaded whole, a change this process made that the read database has not replayed
    yet (its standing value is ahead) is still answered from the main database."""
    wipe(committed_engine)
    with Session(committed_engine) as session:
        load_demo(session, policy, TODAY, people=30)
        session.commit()
        code = session.scalars(select(Practitioner.code)).first()
    live = Live(lambda: committed_engine, policy=policy)
    live.tick()
    first = live.snapshot
    live.invalidate({code: 10**9})
    monkeypatch.setattr(Snapshot, "crowded", property(lambda self: True))
    live.tick()
    assert live.snapshot is not first and len(live.snapshot) == len(first) == 30
    assert not live.snapshot.knows(code)

"""A worker starts from the saved snapshot image and the changes since, and answers exactly as a full load would;
an image that does not fit (other format or codes, ahead of the database, incomplete, too old) is not used."""
import json
from array import array
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from api.db.models import ChangeCounter, Institution, Practitioner, PractitionerCreate, Registration, SnapshotImage
from api.demo import load_demo
from api.eligibility import image as images
from api.eligibility import snapshot as snapshots
from api.eligibility.image import Image, load_image, read_header, save_image
from api.eligibility.packed import States
from api.eligibility.snapshot import load_snapshot
from api.eligibility.versions import current_standing_version
from api.ledger import service as ledger
from api.ledger.schemas import RegistrationEnd
from api.live import read_session
from api.practitioners.service import create_practitioner
from points import Policy
from scheduler.jobs import JobContext, save_snapshot_image
from tests.conftest import TODAY, wipe
from tests.db.factories import HOSPITAL, person, record

SAVED = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # when the tests' images are saved
DAYS = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 1200, 37)]


def _people(session, policy) -> list[str]:
    """Demo people, some with an ended registration; and the codes' order (everyone, and a few unknown)."""
    load_demo(session, policy, TODAY, people=120)
    codes = session.scalars(select(Practitioner.code).order_by(Practitioner.code)).all()
    for n, code in enumerate(codes[:12]):
        first = session.scalars(select(Registration).join(Practitioner).where(Practitioner.code == code)).first()
        ledger.end_registration(session, "test", first.id, RegistrationEnd(
            ends_on=max(first.starts_on, TODAY - timedelta(days=40 * n)), reason="注销"), policy, TODAY)
    return [*codes, "D110105999999", "HY999999000001"]


def _normal_at_hospital(session) -> str:
    return session.scalars(
        select(Practitioner.code).join(Registration, Registration.practitioner_id == Practitioner.id)
        .join(Institution).where(Practitioner.status == "normal", Institution.code == HOSPITAL,
                                 Registration.ends_on.is_(None))
        .order_by(Practitioner.code.desc())).first()


def _same_answers(one, other, codes) -> None:
    for code in codes:
        for day in DAYS:
            for emergency in (False, True):
                assert one.verdict(code, day, emergency) == other.verdict(code, day, emergency), (code, day)


def test_a_start_from_the_image_answers_as_a_full_load_and_follows_later_changes(session, policy):
    codes = _people(session, policy)
    saved = load_snapshot(session, policy, image=False)
    assert saved.origin == "database" and len(saved.other_at) > 1  # some people have more than a registration day
    save_image(session, saved.image(), SAVED)
    started = load_snapshot(session, policy)
    assert started.origin == "image" and started.version == saved.version and len(started) == len(saved)
    _same_answers(started, saved, codes)

    normal = _normal_at_hospital(session)
    record(session, policy, normal, 9, TODAY - timedelta(days=3), violation="S01")  # after the image was saved
    after = load_snapshot(session, policy)
    assert after.origin == "image" and after.version > saved.version
    assert after.verdict(normal, TODAY, False)[:3] == (False, "suspended", "SUSPENDED")
    _same_answers(after, load_snapshot(session, policy, image=False), codes)


def test_people_kept_by_code_and_the_states_survive_the_image(session, policy):
    narrow = Policy(policy.version, policy.rows, policy.violations, ("D",))  # HY and HJ codes do not pack
    codes = _people(session, policy)
    saved = load_snapshot(session, narrow, image=False)
    assert any(code.startswith("HY") for code in saved.changed)
    save_image(session, saved.image(), SAVED)
    started = load_snapshot(session, narrow)
    assert started.origin == "image" and started.changed == saved.changed
    assert started.states.answers == saved.states.answers
    _same_answers(started, saved, codes)
    # the image packs codes by the prefixes it was made for: another policy's workers read everyone instead
    assert load_snapshot(session, policy).origin == "database"


def test_an_image_in_many_parts_and_people_new_since_it(session, policy, monkeypatch):
    codes = _people(session, policy)
    monkeypatch.setattr(images, "PART", 64)  # every array in parts of 64 bytes
    saved = load_snapshot(session, policy, image=False)
    save_image(session, saved.image(), SAVED)
    assert session.scalar(select(func.count()).select_from(SnapshotImage).where(SnapshotImage.name == "keys")) > 10
    person(session, policy, "D110105777777")  # registered after the image was saved
    create_practitioner(session, "test", PractitionerCreate(code="D110105888888", name="李四", category="medical"),
                        policy)  # not registered anywhere yet
    started = load_snapshot(session, policy)
    assert started.origin == "image" and len(started) == len(saved) + 2
    _same_answers(started, load_snapshot(session, policy, image=False), [*codes, "D110105777777", "D110105888888"])
    assert started.verdict("D110105888888", TODAY, False)[2] == "UNREGISTERED"


def _header(session) -> SnapshotImage:
    return session.get(SnapshotImage, ("header", 0))


def test_an_image_ahead_of_the_database_or_incomplete_is_not_used(session, policy):
    _people(session, policy)
    save_image(session, load_snapshot(session, policy, image=False).image(), SAVED)
    assert load_snapshot(session, policy).origin == "image"
    good = _header(session).data
    for tamper in (lambda h: h["states"].insert(0, h["states"].pop(1)),  # numbered otherwise than this code does
                   lambda h: h.update(code="another version of the code"), lambda h: h.update(format=0)):
        header = json.loads(good)
        tamper(header)
        _header(session).data = json.dumps(header).encode()
        session.flush()
        assert load_snapshot(session, policy).origin == "database"
    _header(session).data = good
    session.flush()
    assert load_snapshot(session, policy).origin == "image"

    counter = session.get(ChangeCounter, "standing")
    counter.value -= 1  # e.g. the database restored from before the image, the image table kept
    session.flush()
    assert load_image(session, policy.person_prefixes, current_standing_version(session)) is None
    assert load_snapshot(session, policy).origin == "database"
    counter.value += 1
    session.flush()

    session.execute(delete(SnapshotImage).where(SnapshotImage.name == "keys"))
    assert load_snapshot(session, policy).origin == "database"


def test_too_many_changes_since_the_image_read_everyone(session, policy, monkeypatch):
    _people(session, policy)
    save_image(session, load_snapshot(session, policy, image=False).image(), SAVED)
    later = current_standing_version(session) + 1  # a third of everyone changed since the image
    session.execute(update(ChangeCounter).where(ChangeCounter.name == "standing").values(value=later))
    session.execute(update(Practitioner).where(Practitioner.id % 3 == 0).values(standing_version=later))
    assert load_snapshot(session, policy).origin == "image"  # 40 of 120 changed: fewer than the crowd
    monkeypatch.setattr(snapshots, "crowd", lambda people: 10)
    assert load_snapshot(session, policy).origin == "database"


@pytest.fixture
def context(committed_engine, policy):
    wipe(committed_engine)
    with Session(committed_engine) as session:
        _people(session, policy)
        session.commit()
    return lambda session, now: JobContext(session, committed_engine, now, policy, None)


def _run(engine, context, now) -> dict:
    with Session(engine) as session:
        result = save_snapshot_image(context(session, now))
        session.commit()
    return result


def test_the_scheduler_saves_the_image_when_missing_unusable_or_an_hour_old_with_changes(committed_engine, policy,
                                                                                          context):
    first = _run(committed_engine, context, SAVED)
    assert first["saved"] and first["people"] == 120 and first["bytes"] > 120 * 12
    assert _run(committed_engine, context, SAVED + timedelta(minutes=5)) == {"saved": False,
                                                                             "version": first["version"]}
    with Session(committed_engine) as session:
        code = _normal_at_hospital(session)
        record(session, policy, code, 4, TODAY - timedelta(days=1), violation="H01")
        session.commit()
    # someone changed: workers reload them after the image; it is replaced once it is an hour old
    assert _run(committed_engine, context, SAVED + timedelta(minutes=55))["saved"] is False
    again = _run(committed_engine, context, SAVED + timedelta(minutes=60))
    assert again["saved"] and again["version"] > first["version"]
    with Session(committed_engine) as session:
        assert read_header(session)["version"] == again["version"]
        started = load_snapshot(session, policy)
        assert started.origin == "image" and started.version == again["version"]
        _same_answers(started, load_snapshot(session, policy, image=False), [code])
        header = _header(session)
        header.data = header.data.replace(b'"format":1', b'"format":0')  # as if saved by another version
        session.commit()
    assert _run(committed_engine, context, SAVED + timedelta(minutes=65))["saved"]  # at once, not in an hour


def test_an_image_this_code_cannot_read_is_passed_over(session, policy, caplog):
    codes = _people(session, policy)
    save_image(session, load_snapshot(session, policy, image=False).image(), SAVED)
    header = json.loads(_header(session).data)
    header["states"][-1][1] = "a rule this code does not know"
    _header(session).data = json.dumps(header).encode()
    session.flush()
    started = load_snapshot(session, policy)
    assert started.origin == "database" and "could not be read" in caplog.text
    _same_answers(started, load_snapshot(session, policy, image=False), codes[:20])


def _renumbered(image: Image) -> Image:
    """The same people, their states met in another order (as a load whose first flagged person changed)."""
    old = sorted(image.states.numbers.items(), key=lambda item: item[1])
    states, number = States(), {0: 0, 1: 1}
    for state, n in reversed(old[2:]):
        number[n] = states.number(state)
    arrays = {**image.arrays, "other_states": array("I", map(number.__getitem__, image.arrays["other_states"]))}
    changed = {code: entry if entry is None or type(entry) is int else (entry[0], tuple(map(number.get, entry[1])))
               for code, entry in image.changed.items()}
    return Image(image.version, image.prefixes, arrays, states, changed)


def test_a_new_image_saved_while_a_worker_reads_one_is_never_mixed_with_it(committed_engine, policy, monkeypatch):
    """The job commits a renumbered image after the worker read the header, before it read the arrays: the
    worker sees one whole image."""
    wipe(committed_engine)
    with Session(committed_engine) as session:
        codes = _people(session, policy)
        session.commit()
        full = load_snapshot(session, policy, image=False)
        assert len(full.states.answers) > 3
        save_image(session, full.image(), SAVED)
        session.commit()
    usable, fired = images.usable, []

    def job_saves_now(*args):  # called once the worker has read the header
        with Session(committed_engine) as job:
            save_image(job, _renumbered(full.image()), SAVED)
            job.commit()
        fired.append(1)
        return usable(*args)

    monkeypatch.setattr(images, "usable", job_saves_now)
    with read_session(committed_engine) as worker:
        started = load_snapshot(worker, policy)
    assert fired and started.origin == "image"
    _same_answers(started, full, codes)

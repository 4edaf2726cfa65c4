"""Properties of the derivation, over generated ledgers."""
import random
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from points import Registration, RepairCredit, Review, ReviewOutcome, Status, derive, eligibility
from tests.domain.helpers import POLICY, TIANJIN, ledger, rec

START = date(2024, 1, 1)
days = st.integers(min_value=0, max_value=3 * 366).map(lambda n: START + timedelta(days=n))


@st.composite
def ledgers(draw):
    n = draw(st.integers(min_value=0, max_value=12))
    records = [rec(i + 1, draw(st.integers(1, 12)), draw(days)) for i in range(n)]
    reviews = []
    for i, r in enumerate(records):
        kind = draw(st.sampled_from([None, None, ReviewOutcome.ANNUL, ReviewOutcome.CHANGE]))
        if kind is ReviewOutcome.ANNUL:
            reviews.append(Review(i + 1, r.id, kind, r.decision_date + timedelta(days=10)))
        elif kind is ReviewOutcome.CHANGE:
            low = r.points - (r.points - 1) % 3
            reviews.append(Review(i + 1, r.id, kind, r.decision_date + timedelta(days=5), draw(st.integers(low, low + 2))))
    repairs = [RepairCredit(i + 1, draw(days)) for i in range(draw(st.integers(0, 6)))]
    regs = [Registration(1, "H12010100001", START)] + [
        Registration(i + 2, "H12010100002", draw(days)) for i in range(draw(st.integers(0, 2)))]
    return ledger(*records, region=TIANJIN, reviews=tuple(reviews), repairs=tuple(repairs),
                  registrations=tuple(regs))


def shuffled(lg, seed):
    """The same ledger entered in another order: every list shuffled and renumbered (ids are the order of
    entry), reviews following their records' new ids."""
    rnd = random.Random(seed)

    def renumbered(items):
        items = list(items)
        rnd.shuffle(items)
        return [replace(item, id=n) for n, item in enumerate(items, 1)]

    records = renumbered(lg.records)
    new_id = {old.id: new.id for old, new in zip(sorted(lg.records, key=lambda r: r.case_number),
                                                 sorted(records, key=lambda r: r.case_number))}
    reviews = [replace(v, record_id=new_id[v.record_id]) for v in renumbered(lg.reviews)]
    return replace(lg, records=tuple(records), reviews=tuple(reviews), repairs=tuple(renumbered(lg.repairs)),
                   registrations=tuple(renumbered(lg.registrations))), new_id


def facts(t, ids=None):
    """What a derivation decides, without the ids of the entries it was derived from."""
    ids = ids or {i: i for i in t.points}
    return (t.years, t.standing, t.notices, {ids[i]: p for i, p in t.points.items()},
            [(s.year, s.ordinal, s.decided_on, s.tally, s.months, s.months_decided, s.starts_on, s.ends_on,
              s.cut_short_by) for s in t.suspensions],
            [(x.year, x.decided_on, x.single_record, x.ban_years, x.ban_ends_on) for x in t.terminations])


@settings(max_examples=300, deadline=None)
@given(ledgers(), st.integers(), days)
def test_order_of_entry_does_not_change_status(lg, seed, day):
    other, new_id = shuffled(lg, seed)
    a, b = derive(lg, POLICY), derive(other, POLICY)
    assert facts(a, new_id) == facts(b)
    assert a.status_on(day) == b.status_on(day)


@settings(max_examples=300, deadline=None)
@given(ledgers())
def test_suspensions_never_overlap(lg):
    served = [s for s in derive(lg, POLICY).suspensions if s.starts_on <= s.ends_on]
    assert all(earlier.ends_on < later.starts_on for earlier, later in pairwise(served))


@settings(max_examples=300, deadline=None)
@given(ledgers())
def test_yearly_tally_is_effective_points_less_repairs_and_never_negative(lg):
    t = derive(lg, POLICY)
    for year, tally in t.years.items():
        effective = sum(t.points[r.id] for r in lg.records if r.decision_date.year == year)
        assert tally.recorded == effective
        assert 0 <= tally.repaired <= 4 and tally.net >= 0


@settings(max_examples=300, deadline=None)
@given(ledgers(), days)
def test_eligibility_agrees_with_status_and_emergencies_pass_only_suspensions(lg, day):
    t = derive(lg, POLICY)
    state = t.status_on(day)
    assert eligibility(t, day).eligible == (state.status is Status.NORMAL)
    assert eligibility(t, day, emergency=True).eligible == (state.status in (Status.NORMAL, Status.SUSPENDED))


@settings(max_examples=200, deadline=None)
@given(ledgers())
def test_every_termination_follows_a_tally_of_twelve_in_its_year(lg):
    t = derive(lg, POLICY)
    for term in t.terminations:
        assert term.ban_years == (3 if term.single_record else 1)
        assert t.years[term.year].recorded >= 12

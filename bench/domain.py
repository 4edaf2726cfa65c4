"""Micro-benchmark of the pure domain core: derive() and eligibility() per person, no database.

    .venv/bin/python bench/domain.py
"""
import random
import time
from datetime import date, timedelta

from api.policy import load_policy
from points import Ledger, PointRecord, Registration, Review, ReviewOutcome, derive, eligibility

BAND = {1: "L01", 2: "L02", 3: "L03", 4: "H01", 5: "H02", 6: "H03", 7: "S01", 8: "S02", 9: "S03", 12: "F01"}


def ledgers(n: int, seed: int = 1) -> list[Ledger]:
    rnd, out = random.Random(seed), []
    for i in range(n):
        records = []
        for j in range(rnd.choice([0, 0, 1, 1, 2, 3, 5])):
            pts = rnd.choice([1, 2, 3, 4, 5, 6, 9])
            records.append(PointRecord(j + 1, BAND[pts], pts, date(2025, 1, 1) + timedelta(days=rnd.randint(0, 600))))
        reviews = (Review(1, 1, ReviewOutcome.ANNUL, date(2026, 9, 1)),) if records and rnd.random() < 0.1 else ()
        out.append(Ledger(f"D110105{i:06d}", "110105", tuple(records), reviews,
                          registrations=(Registration(1, "H11010500001", date(2020, 1, 1)),)))
    return out


def main(n: int = 20000) -> None:
    policy, people = load_policy(), ledgers(n)
    t0 = time.perf_counter()
    timelines = [derive(lg, policy) for lg in people]
    t1 = time.perf_counter()
    day = date(2026, 3, 1)
    for t in timelines:
        eligibility(t, day)
    t2 = time.perf_counter()
    records = sum(len(lg.records) for lg in people)
    print(f"{n} people, {records} records")
    print(f"derive:      {(t1 - t0) / n * 1e6:7.1f} µs/person")
    print(f"eligibility: {(t2 - t1) / n * 1e6:7.1f} µs/check (on a derived timeline)")


if __name__ == "__main__":
    main()

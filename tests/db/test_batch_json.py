"""The fragment-built batch JSON equals serialising the general answers, line for line."""
import json
from datetime import timedelta

from pydantic_core import to_json
from sqlalchemy import select

from api.db.models import Practitioner
from api.demo import load_demo
from api.eligibility.batch import batch_json
from api.eligibility.repository import load_ledgers_by_code
from api.eligibility.service import LineParser, answer_lines, known_at_verdict
from api.eligibility.snapshot import load_snapshot
from tests.conftest import TODAY


def test_fast_batch_output_is_the_general_output(session, policy):
    load_demo(session, policy, TODAY, people=120)
    snapshot = load_snapshot(session, policy)
    codes = session.scalars(select(Practitioner.code).order_by(Practitioner.code)).all()
    lines = [{"ref": f"r{i}", "code": code, "date": (TODAY - timedelta(days=7 * (i % 60))).isoformat(),
              "emergency": i % 5 == 0} for i, code in enumerate(codes * 3)]
    lines += [{"code": codes[0].lower(), "date": "2026-01-01"}, {"ref": "引号\"", "code": codes[1], "date": "2026-01-02"},
              {"code": "D110105999999", "date": "2026-01-01"}, {"code": "bad", "date": "2026-01-01"},
              {"code": codes[2], "date": "2026-02-30"}, {"code": codes[2], "date": 20260101}, "not an object",
              {"code": codes[3], "date": "2026-01-01", "emergency": "yes"}, {"ref": "x" * 65, "code": codes[4],
                                                                            "date": "2026-01-01"}]
    lines += [{"code": 7, "date": "2026-01-01"}, {"code": [codes[0]], "date": "2026-01-01"},
              {"code": codes[0], "date": ["2026-01-01"]}, {"ref": 5, "code": codes[0], "date": "2026-01-01"},
              {"code": codes[0], "date": "2026-01-01", "emergency": None}, [codes[0]],
              {"ref": "身份证110105199001011234", "code": codes[0], "date": "2026-01-01"}]
    snapshot.invalidate([codes[5]])
    lines.append({"ref": "dirty", "code": codes[5], "date": "2026-01-01"})
    now = [{"ref": f"k{i}", "code": code, "date": "2025-06-01", "emergency": i % 2 == 0} for i, code in enumerate(codes)]
    lines += now + [{**line, "known_at": "2099-01-01T00:00:00+08:00"} for line in now]  # as known now, asked so
    lines += [{"code": codes[6], "date": "2026-01-01", "known_at": "2026-01-01T10:00:00"},  # naive: refused
              {"code": codes[6], "date": "2026-01-01", "known_at": None}]
    prefixes = policy.person_prefixes

    def known_at_for(codes):
        return known_at_verdict(load_ledgers_by_code(session, codes), policy)

    an_id = [{"ref": "110105199001011234", "code": codes[0], "date": "2026-01-01"}]  # masked, though plain text
    unknown = lines[len(codes) * 3 + 2:len(codes) * 3 + 3]  # a code nobody has: answered by the line parser
    plain = lines[:len(codes) * 3]
    for some in (plain, lines[:1], [], an_id, unknown + plain[:5], plain[:5] + unknown, lines[-2:]):
        fast = batch_json(some, LineParser(prefixes, snapshot.__contains__), snapshot,
                          lambda codes: snapshot.verdict, known_at_for)
        assert fast == to_json(answer_lines(some, LineParser(prefixes), lambda codes: snapshot.verdict, known_at_for))
    fast = batch_json(lines, LineParser(prefixes, snapshot.__contains__), snapshot, lambda codes: snapshot.verdict,
                      known_at_for)
    general = to_json(answer_lines(lines, LineParser(prefixes), lambda codes: snapshot.verdict, known_at_for))
    assert json.loads(fast) == json.loads(general)
    assert fast == general  # byte for byte
    answers = json.loads(fast)
    asked_now, asked_later = answers[-2 - 2 * len(now):-2 - len(now)], answers[-2 - len(now):-2]
    assert [a.pop("known_at") for a in asked_later] == ["2099-01-01T00:00:00+08:00"] * len(now)
    assert asked_later == asked_now  # the ledger derived as known now answers as the snapshot does
    assert answers[-2]["error"]["code"] == "INVALID_KNOWN_AT" and "known_at" not in answers[-1]

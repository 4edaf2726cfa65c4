"""The fragment-built batch JSON equals serialising the general answers, line for line."""
import json
from datetime import timedelta

from pydantic_core import to_json
from sqlalchemy import select

from api.db.models import Practitioner
from api.demo import load_demo
from api.eligibility.batch import batch_json
from api.eligibility.service import LineParser, answer_lines
from api.eligibility.snapshot import load_snapshot
from tests.conftest import TODAY


def test_fast_batch_output_is_the_general_output(session, policy):
    load_demo(session, policy, TODAY, people=120)
    snapshot = load_snapshot(session)
    codes = session.scalars(select(Practitioner.code).order_by(Practitioner.code)).all()
    lines = [{"ref": f"r{i}", "code": code, "date": (TODAY - timedelta(days=7 * (i % 60))).isoformat(),
              "emergency": i % 5 == 0} for i, code in enumerate(codes * 3)]
    lines += [{"code": codes[0].lower(), "date": "2026-01-01"}, {"ref": "引号\"", "code": codes[1], "date": "2026-01-02"},
              {"code": "D110105999999", "date": "2026-01-01"}, {"code": "bad", "date": "2026-01-01"},
              {"code": codes[2], "date": "2026-02-30"}, {"code": codes[2], "date": 20260101}, "not an object",
              {"code": codes[3], "date": "2026-01-01", "emergency": "yes"}, {"ref": "x" * 65, "code": codes[4],
                                                                            "date": "2026-01-01"}]
    snapshot.invalidate([codes[5]])
    lines.append({"ref": "dirty", "code": codes[5], "date": "2026-01-01"})
    prefixes = policy.person_prefixes
    fast = batch_json(lines, LineParser(prefixes, lambda c: c in snapshot.entries), snapshot.entries,
                      snapshot.knows, snapshot.verdict, lambda codes: snapshot.verdict)
    general = to_json(answer_lines(lines, LineParser(prefixes), lambda codes: snapshot.verdict))
    assert json.loads(fast) == json.loads(general)
    assert fast == general  # byte for byte

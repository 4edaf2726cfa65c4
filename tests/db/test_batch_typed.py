"""A batch body decoded as typed lines answers byte for byte as the generic parse and the general answers, rendered
in pieces of any size; a body of other shapes is not decoded as typed."""
import json
from datetime import timedelta

import pytest
from pydantic_core import from_json, to_json
from sqlalchemy import select

from api.db.models import Practitioner
from api.demo import load_demo
from api.eligibility import batch
from api.eligibility.batch import batch_chunks, batch_json, decode_typed
from api.eligibility.repository import load_ledgers_by_code
from api.eligibility.service import LineParser, answer_lines, known_at_verdict
from api.eligibility.snapshot import load_snapshot
from tests.conftest import TODAY


@pytest.fixture
def world(session, policy):
    load_demo(session, policy, TODAY, people=120)
    snapshot = load_snapshot(session, policy)
    codes = session.scalars(select(Practitioner.code).order_by(Practitioner.code)).all()

    def known_at_for(wanted):
        return known_at_verdict(load_ledgers_by_code(session, wanted), policy)

    def general(body: bytes) -> bytes:
        return to_json(answer_lines(from_json(body), LineParser(policy.person_prefixes), lambda _: snapshot.verdict,
                                    known_at_for))

    def typed(body: bytes, chunk: int = batch.CHUNK_LINES) -> list[bytes]:
        lines = decode_typed(body)
        assert lines is not None, body[:200]
        parser = LineParser(policy.person_prefixes, snapshot.__contains__)
        pieces = batch_chunks(lines, parser, snapshot, lambda _: snapshot.verdict, known_at_for)
        original, batch.CHUNK_LINES = batch.CHUNK_LINES, chunk
        try:
            return list(pieces)
        finally:
            batch.CHUNK_LINES = original

    return snapshot, codes, general, typed


def _lines(codes: list[str]) -> list[dict]:
    """Every person on dates across their record, emergency or not, refs plain, null, absent, long or escaped."""
    lines = [{"ref": f"r{i}", "code": code, "date": (TODAY - timedelta(days=7 * (i % 60))).isoformat(),
              "emergency": i % 5 == 0} for i, code in enumerate(codes * 3)]
    lines += [{"ref": None, "code": codes[0], "date": "2026-01-01"}, {"code": codes[1], "date": "2026-01-02"},
              {"ref": "引号\"\\", "code": codes[2], "date": "2026-01-03"}, {"ref": "x" * 64, "code": codes[3],
                                                                          "date": "2026-01-04"},
              {"ref": "身份证110105199001011234", "code": codes[4], "date": "2026-01-05"},
              {"code": codes[5].lower(), "date": "2026-01-01"}, {"code": "D110105999999", "date": "2026-01-01"},
              {"code": "bad", "date": "2026-01-01"}, {"code": codes[6], "date": "2026-02-30"},
              {"code": "D" + "1" * 40, "date": "2026-01-01"},
              {"code": codes[8], "date": "2026-01-01", "known_at": "2099-01-01T00:00:00+08:00"},
              {"code": codes[8], "date": "2026-01-01", "known_at": "2026-01-01T10:00:00"},
              {"code": codes[9], "date": "2026-01-01", "known_at": None}]
    return lines


def test_typed_lines_answer_as_the_general_answers_in_pieces_of_any_size(world):
    _, codes, general, typed = world
    lines = _lines(codes)
    body = to_json(lines)
    expected = general(body)
    for chunk in (1, 2, 7, len(lines) - 1, len(lines), 8192):
        pieces = typed(body, chunk)
        assert len(pieces) == -(-len(lines) // chunk)
        assert b"".join(pieces) == expected, chunk  # byte for byte
    answers = json.loads(expected)
    assert {a["error"]["code"] for a in answers if "error" in a} == {"INVALID_CODE", "INVALID_DATE", "INVALID_KNOWN_AT"}
    assert "UNKNOWN_PRACTITIONER" in {a.get("reason") for a in answers}
    assert answers[-3]["known_at"] == "2099-01-01T00:00:00+08:00" and "known_at" not in answers[-1]


def test_slow_lines_at_the_edges_of_pieces(world):
    """Lines the line parser answers first, last and on each side of a piece's edge."""
    snapshot, codes, general, typed = world
    odd = {"code": "bad", "date": "2026-01-01"}
    plain = [{"ref": str(i), "code": codes[i], "date": "2026-01-01"} for i in range(6)]
    for lines in ([odd, *plain, odd], [odd], [odd, odd], [*plain[:3], odd, odd, *plain[3:]], plain):
        body = to_json(lines)
        for chunk in (1, 2, 3, 4):
            assert b"".join(typed(body, chunk)) == general(body), (lines, chunk)
    snapshot.invalidate([codes[1]])  # changed by this process: from the database, as the general answer
    body = to_json(plain)
    assert b"".join(typed(body, 2)) == general(body)


def test_duplicate_keys_read_as_the_generic_parse(world):
    _, codes, general, typed = world
    body = (f'[{{"code":"bad","code":"{codes[0]}","date":"2026-01-01","ref":"a","ref":"b"}},'
            f' {{"date":"2026-01-02","emergency":false,"emergency":true,"code":"{codes[1]}"}}]').encode()
    assert b"".join(typed(body)) == general(body)
    assert [a["ref"] for a in json.loads(general(body))] == ["b", None]


@pytest.mark.parametrize("body", [
    b'{"code": "D110105000001", "date": "2026-01-01"}', b'[1]', b'["D110105000001"]', b'[{"date": "2026-01-01"}]',
    b'[{"code": 7, "date": "2026-01-01"}]', b'[{"code": "D110105000001", "date": 20260101}]',
    b'[{"code": "D110105000001", "date": "2026-01-01", "emergency": "yes"}]',
    b'[{"code": "D110105000001", "date": "2026-01-01", "emergency": 1}]',
    b'[{"code": "D110105000001", "date": "2026-01-01", "ref": 5}]',
    b'[{"code": "D110105000001", "date": "2026-01-01", "known_at": 5}]', b'[{"code": null, "date": "2026-01-01"}]',
    b'[{"code": "\xff", "date": "2026-01-01"}]', b'[{"code": "a", "date": "b",}]', b'not json', b'',
    b'[{"code": "D110105000001", "date": "2026-01-01", "note": "other fields: read as generic JSON"}]',
    b'[{"code": "D110105000001", "date": "2026-01-01", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}]",
    b'[' + b','.join([b'{"code":"D110105000001","date":"2026-01-01"}'] * 100_001) + b']',
])
def test_other_shapes_are_not_decoded_as_typed(body):
    """They are read as generic JSON, where each odd line gets its own error (or the body its 4xx)."""
    assert decode_typed(body) is None


def test_an_empty_batch(world):
    snapshot, _, general, typed = world
    assert decode_typed(b"[]") == [] and b"".join(typed(b"[]")) == b"[]" == general(b"[]")
    assert batch_json([], LineParser(()), snapshot, lambda _: snapshot.verdict, lambda _: None) == b"[]"

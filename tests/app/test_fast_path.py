"""The ASGI fast path for GET /v1/eligibility answers exactly as the documented FastAPI route does."""
import pytest
from fastapi.testclient import TestClient

from api.auth.tokens import Role
from api.main import create_app
from api.settings import Settings
from tests.app.conftest import SECRET, case

CODE = "D110105000123"
SAME_ID = {"X-Request-ID": "compare-both-paths"}  # so the two answers' request_id (in error bodies) agree


@pytest.fixture
def both(api, people, policy, tmp_path):
    case(api, people, 9, "2026-02-10", violation="S01")
    routed = create_app(api.engine, Settings(secret_key=SECRET.decode(), data_dir=tmp_path), policy, api.clock,
                        fast_path=False)
    with TestClient(routed) as slow:
        yield api.client, slow, api


QUERIES = [
    {"code": CODE, "date": "2026-02-20"},
    {"code": CODE.lower(), "date": "2026-02-20", "emergency": "true"},
    {"code": CODE, "date": "2026-02-10", "emergency": "0"},
    {"code": "D110105999999", "date": "2026-02-20"},
    {"code": "bad", "date": "2026-02-20"},
    {"code": CODE, "date": "2026-02-30"},
    {"code": CODE, "date": "1999-12-31"},
    # issue 12: taken (and echoed normalised) before; now INVALID_DATE / DATE_OUT_OF_RANGE with details, alike
    {"code": CODE, "date": "20250420"},
    {"code": CODE, "date": "2025-W17-1"},
    {"code": CODE, "date": "2025-05-05T00:00:00"},
    {"code": CODE, "date": "1746403200"},
    {"code": CODE, "date": "0001-01-01"},
    {"code": CODE, "date": "9999-12-31"},
    # known_at: the fast path hands these to the route (derived from the ledger); the answers stay alike
    {"code": CODE, "date": "2026-02-20", "known_at": "2099-01-01T00:00:00+08:00"},
    {"code": CODE.lower(), "date": "2026-02-20", "emergency": "true", "known_at": "2099-01-01T00:00:00Z"},
    {"code": CODE, "date": "2026-02-20", "known_at": "2026-01-01T00:00:00+08:00"},
    {"code": "D110105999999", "date": "2026-02-20", "known_at": "2099-01-01T00:00:00Z"},
    {"code": CODE, "date": "2026-02-20", "known_at": "2026-03-01T10:00:00"},
    {"code": CODE, "date": "2026-02-20", "known_at": ""},
    {"code": CODE, "date": "2026-02-30", "known_at": "2099-01-01T00:00:00Z"},
]


@pytest.mark.parametrize("params", QUERIES)
def test_fast_path_and_route_agree(both, params):
    fast, slow, api = both
    headers = {**api.token(Role.SETTLEMENT, "000000"), **SAME_ID}
    a, b = fast.get("/v1/eligibility", params=params, headers=headers), slow.get(
        "/v1/eligibility", params=params, headers=headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def test_an_escaped_known_at_is_handed_to_the_route_like_the_plain_name(both):
    fast, slow, api = both
    headers = {**api.token(Role.SETTLEMENT, "000000"), **SAME_ID}
    url = f"/v1/eligibility?code={CODE}&date=2026-02-20&known%5Fat=2026-01-01T00:00:00Z"
    a, b = fast.get(url, headers=headers), slow.get(url, headers=headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    assert a.json()["known_at"] == "2026-01-01T00:00:00+00:00"


def test_fast_path_refuses_like_the_api(both):
    fast, _, api = both
    url = f"/v1/eligibility?code={CODE}&date=2026-02-20"
    assert fast.get(url).json()["error"]["code"] == "UNAUTHENTICATED"
    assert fast.get(url, headers={"X-API-Key": "x"}).status_code == 401
    practitioner = api.token(Role.PRACTITIONER, CODE)
    assert (fast.get(url, headers=practitioner).status_code, fast.get(url, headers=practitioner).json()["error"]["code"]
            ) == (403, "ROLE_NOT_ALLOWED")
    settle = api.token(Role.SETTLEMENT, "000000")
    for query, code in (("date=2026-02-20", "INVALID_REQUEST"), (f"code={CODE}", "INVALID_REQUEST"),
                        (f"code={CODE}&date=2026-02-20&emergency=maybe", "INVALID_REQUEST")):
        r = fast.get(f"/v1/eligibility?{query}", headers=settle)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code)
    bearer = {"Authorization": settle["Authorization"]}
    r = fast.get(f"/v1/eligibility?code=%20{CODE}%20&date=2026-02-20", headers=bearer)
    assert (r.status_code, r.json()["status"]) == (200, "suspended")


# issue 13: the fast path read the first of a repeated parameter and FastAPI the last (another person, or
# `emergency` flipped); both refuse any repeat alike
REPEATED = [
    (f"code={CODE}&code=D110105999999&date=2026-02-20", "code"),
    (f"code={CODE}&date=2026-02-20&emergency=false&emergency=true", "emergency"),
    (f"code={CODE}&date=2026-02-20&date=2026-02-20", "date"),
    (f"code={CODE}&cod%65={CODE}&date=2026-02-20", "code"),
    (f"code={CODE}&date=2026-02-20&foo=1&foo=2", "foo"),
    (f"code={CODE}&date=2026-02-20&known_at=2099-01-01T00:00:00Z&known_at=2026-01-01T00:00:00Z", "known_at"),
    (f"code={CODE}&code=D110105999999&date=2026-02-20&known_at=2099-01-01T00:00:00Z", "code"),
]


@pytest.mark.parametrize("query,name", REPEATED)
def test_a_repeated_parameter_is_refused_alike_on_both_paths(both, query, name):
    fast, slow, api = both
    headers = {**api.token(Role.SETTLEMENT, "000000"), **SAME_ID}
    a, b = fast.get(f"/v1/eligibility?{query}", headers=headers), slow.get(f"/v1/eligibility?{query}", headers=headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    error = a.json()["error"]
    assert (a.status_code, error["code"]) == (422, "DUPLICATE_PARAMETER")
    assert error["details"] == [{"loc": ["query", name], "message": error["message"]}] and f"`{name}`" in error["message"]


@pytest.mark.parametrize("query", [f"code={CODE}&code=D110105999999&date=2026-02-20",
                                   f"code={CODE}&date=2026-02-20&emergency=maybe", "date=2026-02-20",
                                   f"code={'D' * 40}&date=2026-02-20", f"code={CODE}&date=yesterday",
                                   f"code={CODE}&date=2026-02-20&known_at=soon&known_at=later"])
def test_who_asks_is_checked_before_what_is_asked_on_both_paths(both, query):
    fast, slow, api = both
    practitioner = api.token(Role.PRACTITIONER, CODE)
    for headers, expected in (({}, (401, "UNAUTHENTICATED")), ({"X-API-Key": "x"}, (401, None)),
                              (practitioner, (403, "ROLE_NOT_ALLOWED"))):
        headers = {**headers, **SAME_ID}
        a, b = fast.get(f"/v1/eligibility?{query}", headers=headers), slow.get(f"/v1/eligibility?{query}",
                                                                               headers=headers)
        assert (a.status_code, a.json()) == (b.status_code, b.json())
        assert a.status_code == expected[0] and expected[1] in (None, a.json()["error"]["code"]), (query, a.json())


# the error answers' message in the language Accept-Language asks for (api/languages.py), alike on both paths
ZH_QUERIES = [q for q in QUERIES if "known_at" not in q]


@pytest.mark.parametrize("params,who", [(q, "settlement") for q in ZH_QUERIES]
                         + [(ZH_QUERIES[0], "nobody"), (ZH_QUERIES[0], "practitioner")])
def test_both_paths_answer_errors_in_chinese_alike(both, params, who):
    fast, slow, api = both
    token = {"settlement": api.token(Role.SETTLEMENT, "000000"), "nobody": {},
             "practitioner": api.token(Role.PRACTITIONER, CODE)}[who]
    headers = {**token, **SAME_ID, "Accept-Language": "zh-CN,zh;q=0.9"}
    a, b = fast.get("/v1/eligibility", params=params, headers=headers), slow.get(
        "/v1/eligibility", params=params, headers=headers)
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    if a.status_code != 200:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in a.json()["error"]["message"]), a.json()
        for r in (a, b):
            assert (r.headers["content-language"], r.headers["vary"]) == ("zh", "Accept-Language")

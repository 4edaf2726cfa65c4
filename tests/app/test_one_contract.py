"""One contract (issue 14): every error the app can produce is the error envelope (pages under /ui: an HTML page),
every response carries its X-Request-ID, and every list links its next page and, where a count is cheap, says
how many items it holds."""
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.auth.tokens import Role
from api.demo import load_demo
from tests.app.conftest import case

CODE = "D110105000123"


def envelope(r) -> tuple[int, str]:
    """(status, code) of an error answer, after checking its shape and that it names the response's id."""
    assert r.headers["content-type"] == "application/json", r.text
    body = r.json()
    assert set(body) == {"error"} and {"code", "message", "request_id"} <= set(body["error"]), body
    assert body["error"]["request_id"] == r.headers["X-Request-ID"]
    return r.status_code, body["error"]["code"]


def documented(api, method: str, path: str, status: int) -> set[str]:
    """The codes the OpenAPI document gives as examples for this operation and status."""
    response = api.app.openapi()["paths"][path][method.lower()]["responses"][str(status)]
    return set(response["content"]["application/json"]["examples"])


# --- errors ------------------------------------------------------------------------------------------------------

def test_an_unknown_path_is_a_404_envelope(api):
    for url in ("/v1/nothing-here", "/nothing", f"/v1/practitioners/{CODE}/nothing", "/ui-not-a-page"):
        assert envelope(api.client.get(url)) == (404, "NOT_FOUND"), url


def test_a_wrong_method_is_a_405_envelope_that_keeps_allow(api, people):
    r = api.client.delete(f"/v1/practitioners/{CODE}", headers=people)
    assert envelope(r) == (405, "METHOD_NOT_ALLOWED") and r.headers["allow"] == "GET"
    r = api.client.put("/v1/cases", headers=people, json={})
    assert envelope(r) == (405, "METHOD_NOT_ALLOWED") and r.headers["allow"] == "POST"
    assert "PUT" in r.json()["error"]["message"]


def test_any_other_http_exception_keeps_its_status_in_the_envelope(api):
    def teapot():
        raise HTTPException(418, "short and stout", headers={"X-Brewing": "no"})

    api.app.add_api_route("/teapot-for-test", teapot, include_in_schema=False)
    r = api.client.get("/teapot-for-test")
    assert envelope(r) == (418, "IM_A_TEAPOT")
    assert r.json()["error"]["message"] == "short and stout" and r.headers["X-Brewing"] == "no"


def test_a_body_that_is_not_utf8_is_refused_like_any_body_that_is_not_json(api, people):
    for body in (b"\xff\xfe{", b"{not json"):
        r = api.client.post("/v1/cases", headers={**people, "content-type": "application/json"}, content=body)
        assert envelope(r) == (422, "INVALID_REQUEST"), body


def test_an_unexpected_failure_is_a_500_envelope_and_an_html_page_under_ui(api):
    def boom():
        raise RuntimeError("boom")

    api.app.add_api_route("/boom-for-contract", boom, include_in_schema=False)
    api.app.add_api_route("/ui/boom-for-contract", boom, include_in_schema=False)
    client = TestClient(api.app, raise_server_exceptions=False)  # no second lifespan: the app is running
    r = client.get("/boom-for-contract", headers={"X-Request-ID": "contract-500-0001"})
    assert envelope(r) == (500, "INTERNAL_ERROR")
    # the eligibility fast path's own 500 says the same
    assert r.json()["error"]["message"] == "the server failed; retry or report request contract-500-0001"
    assert "boom" not in r.text
    page = client.get("/ui/boom-for-contract", headers={"X-Request-ID": "contract-500-0002"})
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "INTERNAL_ERROR" in page.text and "contract-500-0002" in page.text
    assert page.headers["X-Request-ID"] == "contract-500-0002"


def test_pages_keep_answering_html_error_pages(api):
    for r, status in ((api.client.get("/ui/no-such-page"), 404), (api.client.get("/ui/static/no-such.css"), 404),
                      (api.client.put("/ui/login"), 405)):
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), r.text
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        assert ("NOT_FOUND" if status == 404 else "METHOD_NOT_ALLOWED") in r.text
    assert "GET" in r.headers["allow"].split(", ")


def test_real_errors_are_the_ones_the_document_lists(api, people):
    """A sample of errors as answered, each an example of its operation and status in the OpenAPI document."""
    settle = api.token(Role.SETTLEMENT, "000000")
    me = api.token(Role.PRACTITIONER, CODE)
    case(api, people, 5, "2026-02-10", number="CASE-1")
    answers = [
        ("GET", "/v1/practitioners/{code}", api.client.get("/v1/practitioners/D110105999999", headers=people)),
        ("GET", "/v1/practitioners/{code}", api.client.get(f"/v1/practitioners/{CODE}", headers=settle)),
        ("GET", "/v1/practitioners/{code}", api.client.get(f"/v1/practitioners/{CODE}")),
        ("GET", "/v1/practitioners", api.client.get("/v1/practitioners?cursor=bad", headers=people)),
        ("POST", "/v1/cases", case(api, people, 5, "2026-02-10", number="CASE-1")),
        ("POST", "/v1/cases", case(api, people, 7, "2026-02-10", number="CASE-2")),
        ("GET", "/v1/eligibility", api.client.get(f"/v1/eligibility?code={CODE}&date=2026-02-30", headers=settle)),
        ("POST", "/v1/claims/{ref}/payment", api.client.post("/v1/claims/NOPE/payment", headers=settle)),
        ("GET", "/v1/me", api.client.get("/v1/me", headers=api.token(Role.PRACTITIONER, "D110105999999"))),
        ("POST", "/v1/me/objections", api.client.post("/v1/me/objections", headers=me,
                                                      json={"record_id": 999999, "reason": "不是我"})),
    ]
    seen = []
    for method, path, r in answers:
        status, code = envelope(r)
        assert code in documented(api, method, path, status), (method, path, status, code)
        seen.append((status, code))
    assert {401, 403, 404, 409, 422} <= {status for status, _ in seen}


def test_every_answer_carries_its_request_id(api, people):
    settle = api.token(Role.SETTLEMENT, "000000")
    check = f"/v1/eligibility?code={CODE}&date=2026-02-20"
    samples = [
        ("GET", check, settle, None, 200),                                          # the fast path
        ("GET", check, {}, None, 401),                                              # its refusal
        ("GET", f"{check}&known_at=2026-02-20T00:00:00Z", settle, None, 200),       # handed to the route
        ("POST", "/v1/eligibility/batch", settle, [{"code": CODE, "date": "2026-02-20"}], 200),
        ("GET", f"/v1/practitioners/{CODE}", people, None, 200),
        ("GET", "/v1/practitioners/D110105999999", people, None, 404),
        ("GET", "/v1/practitioners?limit=0", people, None, 422),
        ("POST", "/v1/cases", people, {"people": []}, 422),
        ("GET", "/v1/nothing-here", {}, None, 404),
        ("DELETE", f"/v1/practitioners/{CODE}", people, None, 405),
        ("GET", "/ui/login", {}, None, 200),
        ("GET", "/ui/no-such-page", {}, None, 404),
        ("GET", "/openapi.json", {}, None, 200),
        ("GET", "/healthz", {}, None, 200),
    ]
    for n, (method, url, headers, body, status) in enumerate(samples):
        request_id = f"sample-request-{n:04d}"
        r = api.client.request(method, url, headers={**headers, "X-Request-ID": request_id}, json=body)
        assert (r.status_code, r.headers.get("X-Request-ID")) == (status, request_id), (method, url, r.text[:200])
        if status >= 400 and r.headers["content-type"] == "application/json":
            assert r.json()["error"]["request_id"] == request_id
    api.app.state.settings = api.app.state.settings.model_copy(update={"max_body_bytes": 4096,
                                                                       "max_header_bytes": 2048})
    r = api.client.post("/v1/cases", headers={**people, "X-Request-ID": "sample-too-large"},
                        content=b"[" + b"1," * 5000 + b"1]")
    assert (envelope(r), r.headers["X-Request-ID"]) == ((413, "BODY_TOO_LARGE"), "sample-too-large")
    r = api.client.get("/healthz", headers={"X-Request-ID": "sample-head-large", "X-Padding": "x" * 3000})
    assert (envelope(r), r.headers["X-Request-ID"]) == ((431, "HEADERS_TOO_LARGE"), "sample-head-large")


# --- paging --------------------------------------------------------------------------------------------------------

PERSON, INSTITUTION = "D110105000004", "H11010500001"


@pytest.fixture
def lists(api):
    """Demo data, three claims and two webhook subscriptions; a token for each kind of list."""
    with Session(api.engine) as session:
        load_demo(session, api.app.state.policy, date(2026, 3, 1), people=60)
        session.commit()
    tokens = {Role.SUPERVISOR: api.token(Role.SUPERVISOR, "000000"),
              Role.SETTLEMENT: api.token(Role.SETTLEMENT, "000000"),
              Role.PRACTITIONER: api.token(Role.PRACTITIONER, PERSON)}
    claims = [{"ref": f"PAGE-{n}", "institution_code": INSTITUTION, "practitioner_code": PERSON,
               "service_date": f"2026-02-0{n}", "amount": "10.00"} for n in (1, 2, 3)]
    assert api.client.post("/v1/claims", headers=tokens[Role.SETTLEMENT], json=claims).status_code == 200
    api.app.state.settings = api.app.state.settings.model_copy(update={"webhook_allow": "127.0.0.1"})
    for port in (9, 10):
        r = api.client.post("/v1/webhooks", headers=tokens[Role.SETTLEMENT], json={"url": f"http://127.0.0.1:{port}/h"})
        assert r.status_code == 201, r.text
    return tokens


def _page_lists(spec):
    """Every GET operation that answers a Page (routes added later included)."""
    for path, methods in spec["paths"].items():
        ok = methods.get("get", {}).get("responses", {}).get("200", {})
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref.startswith("#/components/schemas/Page_"):
            yield path, methods["get"]


def _url(path: str, operation: dict, subscription: int) -> str:
    values = {"code": INSTITUTION if path.startswith("/v1/institutions/") else PERSON, "subscription_id": subscription}
    url = path.format(**values)
    required = [p for p in operation.get("parameters", ()) if p["in"] == "query" and p.get("required")]
    query = []
    for p in required:  # a list that requires a filter is asked with its documented example
        schema = p.get("schema", {})
        example = p.get("example", (p.get("examples") or schema.get("examples") or [schema.get("default")])[0])
        assert example is not None, f"{path}: required parameter {p['name']} has no example"
        query.append(f"{p['name']}={example}")
    return f"{url}?{'&'.join([*query, 'limit=1'])}"


def _token_for(path: str, tokens: dict) -> dict:
    if path.startswith("/v1/me"):
        return tokens[Role.PRACTITIONER]
    if path.startswith(("/v1/claims", "/v1/webhooks", "/v1/eligibility")):
        return tokens[Role.SETTLEMENT]
    return tokens[Role.SUPERVISOR]


def test_every_list_links_its_next_page_and_counts_where_cheap(api, lists):
    spec = api.app.openapi()
    subscription = api.client.get("/v1/webhooks", headers=lists[Role.SETTLEMENT]).json()["items"][0]["id"]
    walked, totals = {}, {}
    for path, operation in _page_lists(spec):
        url, headers, items, pages = _url(path, operation, subscription), _token_for(path, lists), [], 0
        first = urlsplit(url)
        while url is not None and pages < 200:
            r = api.client.get(url, headers=headers)
            assert r.status_code == 200, (url, r.text[:300])
            page = r.json()
            assert {"items", "next_cursor", "next", "total"} <= set(page), (path, set(page))
            assert (page["next"] is None) == (page["next_cursor"] is None), (path, page["next"], page["next_cursor"])
            if page["next"] is not None:
                link = urlsplit(page["next"])
                assert link.path == first.path and not link.netloc, page["next"]
                query = dict(parse_qsl(link.query))  # the same filters and limit, and the next cursor
                assert query == {**dict(parse_qsl(first.query)), "cursor": page["next_cursor"]}, page["next"]
            if pages and totals[path] is not None:
                assert page["total"] == totals[path], path  # the same count on every page
            totals.setdefault(path, page["total"])
            items += page["items"]
            url, pages = page["next"], pages + 1
        walked[path] = (pages, len(items))
        if totals[path] is not None:
            assert totals[path] == len(items), (path, totals[path], len(items))
    # the lists that may hold millions say so with a null total; the ones bounded by a person, an institution or
    # a client count
    assert {p for p in ("/v1/practitioners", "/v1/claims", "/v1/webhooks/{subscription_id}/deliveries")
            if totals.get(p, 0) is not None} == set()
    for bounded in ("/v1/institutions/{code}/staff", "/v1/practitioners/{code}/history", "/v1/me/history",
                    "/v1/me/objections", "/v1/objections", "/v1/webhooks"):
        assert isinstance(totals.get(bounded), int), (bounded, totals.get(bounded))
    for several in ("/v1/practitioners", "/v1/institutions/{code}/staff", "/v1/practitioners/{code}/history",
                    "/v1/claims", "/v1/webhooks"):
        assert walked[several][0] >= 2, (several, walked[several])  # the links were followed


def test_the_next_link_keeps_the_filters_and_replaces_an_older_cursor(api, lists):
    sup, settle = lists[Role.SUPERVISOR], lists[Role.SETTLEMENT]
    first = api.client.get("/v1/practitioners?status=normal&limit=3", headers=sup).json()
    by_link = api.client.get(first["next"], headers=sup).json()
    by_cursor = api.client.get("/v1/practitioners", headers=sup,
                               params={"status": "normal", "limit": 3, "cursor": first["next_cursor"]}).json()
    assert by_link == by_cursor and by_link["items"] and by_link["items"][0] not in first["items"]
    assert all(p["status"] == "normal" for p in by_link["items"])
    claims = api.client.get("/v1/claims?limit=1", headers=settle).json()
    older = api.client.get(f"/v1/claims?limit=1&after={claims['next_cursor']}", headers=settle).json()
    assert "after=" not in older["next"] and older["next"].startswith("/v1/claims?limit=1&cursor=")
    last = api.client.get(older["next"], headers=settle).json()
    assert [c["ref"] for c in [*claims["items"], *older["items"], *last["items"]]] == ["PAGE-1", "PAGE-2", "PAGE-3"]
    assert (last["next"], last["next_cursor"], last["total"]) == (None, None, None)

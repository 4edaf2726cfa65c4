"""Resource limits: a body is never read before its token is checked, bodies and headers are capped (413 / 431
with the error envelope, in the app and in the server's own parser), and any malformed token is 401."""
import asyncio
import json
import socket
from datetime import datetime, timezone

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.auth.tokens import PREFIX, Principal, Role, _b64, _sign, sign, verify
from api.claims.schemas import MAX_CLAIMS
from api.eligibility.schemas import MAX_BATCH
from api.errors import Unauthorized
from api.limits import RequestLimits
from api.settings import Settings
from tests.security.server import running_server

pytestmark = pytest.mark.db
KEY = b"k" * 32
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def capped(api, **caps):
    api.app.state.settings = api.app.state.settings.model_copy(update=caps)


def error_code(r) -> str:
    return r.json()["error"]["code"]


# --- authentication before the body ------------------------------------------------------------------------

def test_malformed_json_without_a_token_is_401_not_parsed(api, people):
    r = api.client.post("/v1/claims", content=b"[{" * 1000, headers={"content-type": "application/json"})
    assert r.status_code == 401 and error_code(r) == "UNAUTHENTICATED"  # was 422: parsed before the token
    r = api.client.post("/v1/claims", content=b"[{},{}]", headers={"X-API-Key": "pts1.forged.sig",
                                                                    "content-type": "application/json"})
    assert r.status_code == 401 and error_code(r) == "TOKEN_INVALID"


def _run_limits(app, headers: list[tuple[bytes, bytes]], path="/v1/claims"):
    """The middleware alone, with a `receive` that records whether the body was asked for."""
    sent, read = [], []

    async def receive():
        read.append(True)
        return {"type": "http.request", "body": b"[]", "more_body": False}

    async def send(message):
        sent.append(message)

    async def inner(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    scope = {"type": "http", "method": "POST", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers}
    asyncio.run(RequestLimits(inner, app)(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), bool(read)


def test_the_body_is_not_read_until_the_token_is_checked(api, people):
    length = [(b"content-length", b"2")]
    status, body, read = _run_limits(api.app, length)
    assert (status, read) == (401, False) and json.loads(body)["error"]["code"] == "UNAUTHENTICATED"
    status, _, read = _run_limits(api.app, length + [(b"authorization", b"Bearer pts1.a.b")])
    assert (status, read) == (401, False)
    good = api.token(Role.SETTLEMENT, "110000")["Authorization"].encode()
    status, _, read = _run_limits(api.app, length + [(b"authorization", good)])
    assert (status, read) == (200, True)
    status, _, read = _run_limits(api.app, length, path="/ui/login")  # pages sign in with a form
    assert (status, read) == (200, True)


# --- body and header caps ----------------------------------------------------------------------------------

def test_a_body_over_the_cap_is_413_whether_its_length_is_declared_or_not(api, people):
    capped(api, max_body_bytes=4096, max_batch_body_bytes=20_000)
    key = api.token(Role.SETTLEMENT, "110000")
    claim = {"ref": "R-1", "institution_code": "H11010500001", "practitioner_code": "D110105000123",
             "service_date": "2026-02-01", "amount": "1.00"}
    big = json.dumps([claim] * 100).encode()
    r = api.client.post("/v1/claims", content=big, headers={**key, "content-type": "application/json"})
    assert r.status_code == 413 and error_code(r) == "BODY_TOO_LARGE"

    def chunked():  # no Content-Length: counted as it arrives
        for i in range(0, len(big), 1000):
            yield big[i:i + 1000]

    r = api.client.post("/v1/claims", content=chunked(), headers={**key, "content-type": "application/json"})
    assert r.status_code == 413 and error_code(r) == "BODY_TOO_LARGE"
    assert api.client.post("/v1/eligibility/batch", content=big, headers=key).status_code == 200  # its own cap
    r = api.client.post("/v1/eligibility/batch", content=big + big, headers=key)
    assert r.status_code == 413 and error_code(r) == "BODY_TOO_LARGE"
    r = api.client.post("/v1/claims", json=[claim], headers=key)
    assert r.status_code == 200 and r.json()[0]["state"] == "payable"


def test_the_default_caps_take_a_full_batch_and_a_full_claims_list_with_room_to_spare():
    batch = json.dumps([{"ref": "R" * 64, "code": "D110105000123", "date": "2026-03-01", "emergency": False}]
                       * MAX_BATCH, indent=1).encode()  # pretty-printed, the longest refs
    claims = json.dumps([{"ref": "R" * 64, "institution_code": "H11010500001", "practitioner_code": "D110105000123",
                          "service_date": "2026-02-01", "emergency": False, "amount": "999999999999.99"}]
                        * MAX_CLAIMS, indent=1).encode()
    defaults = Settings()
    assert len(batch) * 1.5 < defaults.max_batch_body_bytes and len(claims) * 1.2 < defaults.max_body_bytes


def test_a_batch_of_millions_of_tiny_values_is_refused_before_it_is_parsed(api, people):
    key = api.token(Role.SETTLEMENT, "110000")
    for tiny in (b"{},", b"[],", b"1,"):
        r = api.client.post("/v1/eligibility/batch", content=b"[" + tiny * 2_000_000 + b"1]", headers=key)
        assert r.status_code == 413 and error_code(r) == "BATCH_TOO_LARGE"
    odd = {"ref": "a,{[" * 16, "code": "D110105000123", "date": "2026-03-01", "x": "\\"}  # commas in strings
    r = api.client.post("/v1/eligibility/batch", json=[odd] * 50_000, headers=key)
    assert r.status_code == 200 and len(r.json()) == 50_000


def test_headers_over_the_cap_are_431_on_every_path(api, people):
    capped(api, max_header_bytes=2048)
    key = api.token(Role.SETTLEMENT, "110000")
    for method, path in (("GET", "/v1/eligibility?code=D110105000123&date=2026-03-01"), ("GET", "/healthz"),
                         ("POST", "/v1/claims"), ("GET", "/ui/login")):
        r = api.client.request(method, path, headers={**key, "X-Padding": "x" * 3000})
        assert r.status_code == 431 and error_code(r) == "HEADERS_TOO_LARGE", (path, r.text)
    r = api.client.get("/v1/eligibility?code=D110105000123&date=2026-03-01&pad=" + "x" * 3000, headers=key)
    assert r.status_code == 431
    assert api.client.get("/v1/eligibility?code=D110105000123&date=2026-03-01", headers=key).status_code == 200


# --- malformed tokens --------------------------------------------------------------------------------------

def test_a_non_ascii_token_is_401_on_the_api_and_the_fast_path(api, people):
    good = api.token(Role.SETTLEMENT, "110000")["Authorization"].removeprefix("Bearer ")
    bad = (good[:-2] + "é").encode()  # sent as UTF-8, read back as latin-1 text
    for headers in ({"Authorization": b"Bearer " + bad}, {"X-API-Key": bad}, {"X-API-Key": "pts1.Ā.ā".encode()}):
        for path in ("/v1/eligibility?code=D110105000123&date=2026-03-01", "/v1/claims?status=blocked",
                     "/v1/violations"):
            r = api.client.get(path, headers=headers)
            assert r.status_code == 401 and error_code(r) == "TOKEN_INVALID", (path, r.text)
        r = api.client.post("/v1/eligibility/batch", content=b"[]", headers=headers)
        assert r.status_code == 401 and error_code(r) == "TOKEN_INVALID"


def test_a_non_ascii_token_on_the_login_form_is_401(api, people):
    import re

    good = api.token(Role.SUPERVISOR, "110000")["Authorization"].removeprefix("Bearer ")
    for token in (good[:-2] + "é", "pts1.é.é", good.replace(".", "。")):
        form = api.client.get("/ui/login").text
        csrf = re.search(r'name="csrf" value="([^"]*)"', form).group(1)
        r = api.client.post("/ui/login", data={"token": token, "next": "/ui", "csrf": csrf}, follow_redirects=False)
        assert r.status_code == 401 and "TOKEN_INVALID" in r.text and "points_session=" not in r.headers.get(
            "set-cookie", ""), r.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), st.text(alphabet=st.sampled_from([*"pts1.", "é", "\x00", "=", "-", "_"])).map(
    lambda t: "pts1." + t)))
def test_any_text_is_a_principal_or_unauthorized(token):
    try:
        verify(KEY, token, NOW)
    except Unauthorized as exc:
        assert exc.code in ("TOKEN_INVALID", "TOKEN_EXPIRED")


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=8)
PAYLOAD_FIELDS = st.fixed_dictionaries({}, optional={
    "id": JSON_VALUES, "role": st.sampled_from([r.value for r in Role]) | JSON_VALUES, "scope": JSON_VALUES,
    "name": JSON_VALUES, "exp": st.integers() | JSON_VALUES})


@settings(max_examples=300, deadline=None)
@given(st.one_of(PAYLOAD_FIELDS, JSON_VALUES), st.sampled_from(["json", "raw"]))
def test_a_correctly_signed_but_odd_payload_is_unauthorized_never_an_error(payload, form):
    """Past the signature: whatever the payload holds, the parser answers a Principal or 401."""
    text = json.dumps(payload) if form == "json" else str(payload)
    encoded = _b64(text.encode("utf-8", "surrogatepass"))
    try:
        principal = verify(KEY, f"{PREFIX}.{encoded}.{_sign(KEY, encoded)}", NOW)
    except Unauthorized as exc:
        assert exc.code in ("TOKEN_INVALID", "TOKEN_EXPIRED")
    else:
        assert isinstance(principal.name, str) and isinstance(principal.role, Role)


def test_a_signed_token_still_verifies():
    principal = Principal("abc", Role.SETTLEMENT, "110000", "结算 110105-19900101-1234", datetime(2027, 1, 1,
                                                                                                  tzinfo=timezone.utc))
    back = verify(KEY, sign(KEY, principal), NOW)
    assert (back.id, back.role, back.scope) == ("abc", Role.SETTLEMENT, "110000")
    assert back.name == "结算 110105***********4"  # an ID number in an old token's name is masked when read


# --- the real server: memory and the parser's own header cap ------------------------------------------------

MB = 1024 * 1024


def _empty_objects(megabytes: int) -> tuple[int, object]:
    """(length, the bytes as they are sent) of `[{},{},…]`: the body that cost 1.2 GB to parse."""
    block = b"{}," * (MB // 3)

    def chunks():
        yield b"["
        for _ in range(megabytes):
            yield block
        yield b"{}]"

    return 1 + megabytes * len(block) + 3, chunks()


def test_the_server_refuses_large_bodies_and_headers_without_growing(tmp_path):
    with running_server(tmp_path) as server:  # the default caps: 4 MiB, 32 MiB for the batch, 16 KiB of head
        client = httpx.Client(base_url=server.url, timeout=60)
        key = {"X-API-Key": server.token, "content-type": "application/json"}
        start = server.peak_mb()
        # no token: 401 before the body is read (it was parsed first: 164 -> 1,352 MB)
        length, body = _empty_objects(48)
        r = client.post("/v1/claims", content=body,
                        headers={"content-type": "application/json", "content-length": str(length)})
        assert r.status_code == 401 and error_code(r) == "UNAUTHENTICATED"
        # with a token: 413 from the declared length, and from counting a chunked upload
        length, body = _empty_objects(48)
        r = client.post("/v1/claims", content=body, headers={**key, "content-length": str(length)})
        assert r.status_code == 413 and error_code(r) == "BODY_TOO_LARGE"
        r = client.post("/v1/claims", content=_empty_objects(48)[1], headers=key)
        assert r.status_code == 413 and error_code(r) == "BODY_TOO_LARGE"
        assert server.peak_mb() - start < 30, f"peak grew by {server.peak_mb() - start:.0f} MB"

        # under the batch cap, 30 MB of `[{},…]` is refused unparsed (parsing it peaked 860 MB higher)
        length, body = _empty_objects(30)
        r = client.post("/v1/eligibility/batch", content=body, headers={**key, "content-length": str(length)})
        assert r.status_code == 413 and error_code(r) == "BATCH_TOO_LARGE"
        assert server.peak_mb() - start < 200, f"peak grew by {server.peak_mb() - start:.0f} MB"
        assert client.get("/v1/eligibility", params={"code": "D110105000123", "date": "2026-03-01"},
                          headers=key).status_code == 200  # and the server answers as before

        # a 100 MB header: the parser stops at the cap, answers 431 and hangs up
        before = server.peak_mb()
        status_line, sent = _send_huge_header(server.url, 100 * MB)
        assert status_line.startswith(b"HTTP/1.1 431"), status_line
        assert sent < 8 * MB, f"{sent / MB:.0f} MB were taken before the answer"
        assert server.peak_mb() - before < 20


def _send_huge_header(url: str, size: int) -> tuple[bytes, int]:
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        chunk = b"a" * MB
        try:
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server hung up, as it should
        try:
            return s.recv(200).split(b"\r\n")[0], sent
        except OSError:
            return b"connection reset before an answer", sent

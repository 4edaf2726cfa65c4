"""Page sessions and keys (issue 11): the page cookie holds a random session value, never the API token; a
session ends on logout, on revocation and when idle; login and logout refuse cross-site posts; the cookie is
Secure except on loopback; key files are owner-only from their first byte; a short POINTS_SECRET_KEY is refused."""
import hashlib
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlmodel import Session

from api.auth.service import revoke_token, signing_key
from api.auth.tokens import Role, verify
from api.clock import utcnow
from api.db.models import ApiToken, PageSession
from api.settings import Settings
from tests.app.test_pages import hidden, login, sign_in

pytestmark = pytest.mark.db
HOME = "/ui/people"


def session_cookie(api) -> str:
    return api.client.cookies.get("points_session")


def visit(api, cookie: str | None = None, path: str = HOME):
    """A page request; with `cookie`, sent as that session cookie whatever the client holds."""
    headers = {"Cookie": f"points_session={cookie}"} if cookie else {}
    return api.client.get(path, headers=headers, follow_redirects=False)


def signed_out(response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def rows(api) -> list[PageSession]:
    with Session(api.engine) as session:
        return list(session.scalars(select(PageSession)))


def move_clock(api, **delta) -> None:
    now = utcnow() + timedelta(**delta)
    api.app.state.now = lambda: now


def test_the_cookie_holds_a_random_session_value_and_a_token_as_cookie_is_refused(api, people):
    token = api.token(Role.SUPERVISOR, "110000", "北京市医保局 李科长")["Authorization"].removeprefix("Bearer ")
    assert login(api, token).status_code == 303
    cookie = session_cookie(api)
    assert cookie != token and not cookie.startswith("pts1") and len(cookie) >= 43  # 256 random bits
    [row] = rows(api)
    assert row.id == hashlib.sha256(cookie.encode()).hexdigest() and cookie not in row.id
    assert (row.role, row.scope, row.name, row.ended_at) == ("supervisor", "110000", "北京市医保局 李科长", None)
    assert visit(api).status_code == 200
    assert signed_out(visit(api, token))  # the API token itself no longer opens the pages


def test_logout_ends_the_session_and_replaying_its_cookie_shows_the_login_page(api, people):
    sign_in(api)
    cookie = session_cookie(api)
    page = visit(api).text
    r = api.client.post("/ui/logout", data={"csrf": hidden(page, "csrf")}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"
    assert session_cookie(api) is None
    assert signed_out(visit(api, cookie))
    [row] = rows(api)
    assert row.ended_reason == "logout" and row.ended_at is not None


def test_revoking_the_token_ends_its_page_sessions(api, people):
    sign_in(api)
    first = session_cookie(api)
    with Session(api.engine) as session:  # `points token revoke`: ends the sessions in the same transaction
        revoke_token(session, "test", rows(api)[0].token_id, "lost laptop")
        session.commit()
    assert signed_out(visit(api, first))
    assert [r.ended_reason for r in rows(api)] == ["revoked"]

    sign_in(api, name="another")
    second = session_cookie(api)
    token_id = next(r.token_id for r in rows(api) if r.ended_at is None)
    with api.engine.begin() as conn:  # revoked behind the service's back: the revocation cache still sees it
        conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=utcnow()))
    api.app.state.live.refresh_revocations()
    assert signed_out(visit(api, second))
    assert sorted(r.ended_reason for r in rows(api)) == ["revoked", "revoked"]


def test_a_session_ends_after_the_idle_timeout_and_last_seen_is_written_at_most_once_a_minute(api, people):
    sign_in(api)
    cookie = session_cookie(api)
    [row] = rows(api)
    move_clock(api, minutes=20)
    assert visit(api, cookie).status_code == 200
    seen = rows(api)[0].last_seen_at
    assert seen > row.last_seen_at  # activity keeps the session alive ...
    move_clock(api, minutes=20, seconds=30)
    assert visit(api, cookie).status_code == 200
    assert rows(api)[0].last_seen_at == seen  # ... but is not written on every request
    move_clock(api, minutes=45)
    assert visit(api, cookie).status_code == 200  # 25 minutes after the last recorded activity
    move_clock(api, minutes=45 + 31)
    r = visit(api, cookie)
    assert signed_out(r) and "reason=expired" in r.headers["location"]
    assert rows(api)[0].ended_reason == "idle"
    move_clock(api, minutes=45 + 32)
    assert signed_out(visit(api, cookie))  # ended for good


def test_a_cross_site_login_is_refused(api, people):
    token = api.token(Role.SUPERVISOR, "110000")["Authorization"].removeprefix("Bearer ")
    forged = {"token": token, "next": "/ui"}  # another site's form: no pre-session cookie, no echo
    r = api.client.post("/ui/login", data=forged, headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF_FAILED" in r.text and "表单已过期或来自其他网站" in r.text
    assert "points_session" not in r.headers.get("set-cookie", "") and rows(api) == []
    r = api.client.post("/ui/login", data={**forged, "csrf": "guessed"}, follow_redirects=False)  # cookie, no echo
    assert r.status_code == 403 and rows(api) == []
    api.client.cookies.set("points_lang", "en")
    r = api.client.post("/ui/login", data=forged, follow_redirects=False)
    assert r.status_code == 403 and "The form expired or came from another site" in r.text
    assert login(api, token).status_code == 303  # the form shown with the refusal works


def test_a_cross_site_logout_is_refused_and_the_session_stays(api, people):
    sign_in(api)
    r = api.client.post("/ui/logout", headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF_FAILED" in r.text and "表单已过期或来自其他网站" in r.text
    r = api.client.post("/ui/logout", data={"csrf": "guessed"}, follow_redirects=False)
    assert r.status_code == 403
    assert visit(api).status_code == 200 and rows(api)[0].ended_at is None


@pytest.mark.parametrize("host, secure", [("points.ybj.gov.cn", True), ("10.0.0.5:8000", True),
                                          ("127.0.0.1:8000", False), ("127.0.0.2", False), ("localhost", False),
                                          ("[::1]:8000", False)])
def test_the_cookies_are_secure_except_on_a_loopback_host(api, people, host, secure):
    token = api.token(Role.SUPERVISOR, "110000")["Authorization"].removeprefix("Bearer ")
    form = api.client.get("/ui/login", headers={"Host": host})
    assert ("Secure" in form.headers["set-cookie"]) is secure  # the pre-session CSRF cookie
    assert "SameSite=strict" in form.headers["set-cookie"] and "HttpOnly" in form.headers["set-cookie"]
    cookie = f"points_login_csrf={form.cookies['points_login_csrf']}"  # a test client keeps Secure ones for https
    r = api.client.post("/ui/login", headers={"Host": host, "Cookie": cookie}, follow_redirects=False,
                        data={"token": token, "csrf": hidden(form.text, "csrf")})
    assert r.status_code == 303 and ("Secure" in r.headers["set-cookie"]) is secure


@pytest.mark.parametrize("setting, host, secure", [(False, "points.ybj.gov.cn", False), (True, "127.0.0.1", True)])
def test_the_secure_flag_can_be_set(api, people, setting, host, secure):
    api.app.state.settings.cookie_secure = setting
    assert ("Secure" in api.client.get("/ui/login", headers={"Host": host}).headers["set-cookie"]) is secure


WATCH = r"""
import json, os, stat, sys
from pathlib import Path

data, seen, busy = Path(sys.argv[1]), {}, [False]

def watch(event, args):  # at every file event, the modes of the key files (and their temp files) so far
    if busy[0] or not (event == "open" or event.startswith("os.")):
        return
    busy[0] = True
    try:
        for entry in os.scandir(data) if data.is_dir() else ():
            for name in ("secret.key", "demo-tokens.txt"):
                if name in entry.name:
                    seen.setdefault(name, set()).add(stat.S_IMODE(entry.stat().st_mode))
    except FileNotFoundError:
        pass
    finally:
        busy[0] = False

sys.addaudithook(watch)
from api.cli import app
try:
    app(["demo", "--people", "60"])
except SystemExit:
    pass
final = {name: stat.S_IMODE(os.stat(data / name).st_mode) for name in ("secret.key", "demo-tokens.txt")}
print(json.dumps({"seen": {k: sorted(v) for k, v in seen.items()}, "final": final}))
"""


def test_demo_tokens_and_the_secret_key_are_never_readable_by_others(fresh_database, tmp_path):
    """`points demo` without POINTS_SECRET_KEY: the key is generated, then a national supervisor's token written."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "POINTS_SECRET_KEY"}
    env.update(POINTS_DATABASE_URL=fresh_database(), POINTS_DATA_DIR=str(data))
    out = subprocess.run([sys.executable, "-c", WATCH, str(data)], check=False, env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["final"] == {"secret.key": 0o600, "demo-tokens.txt": 0o600}
    assert report["seen"] == {"secret.key": [0o600], "demo-tokens.txt": [0o600]}
    assert not [p.name for p in data.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind
    national = dict(line.split("\t") for line in (data / "demo-tokens.txt").read_text("utf-8").splitlines())
    principal = verify(signing_key(Settings(data_dir=data)), national["supervisor, national"], utcnow())
    assert (principal.role, principal.scope) == (Role.SUPERVISOR, "000000")  # what the file guards


def test_a_secret_key_shorter_than_32_bytes_is_refused_at_start(tmp_path):
    with pytest.raises(ValidationError, match="POINTS_SECRET_KEY must be at least 32 bytes"):
        Settings(secret_key="test-secret-key")
    assert Settings(secret_key="k" * 32).secret_key == "k" * 32
    env = {**os.environ, "POINTS_SECRET_KEY": "fifteen-bytes!!", "POINTS_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", "import api.main"], check=False, env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "POINTS_SECRET_KEY must be at least 32 bytes (it has 15)" in out.stderr
    assert "fifteen-bytes!!" not in out.stderr  # the refused secret is not echoed

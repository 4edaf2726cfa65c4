"""A page holds at most one database connection at a time. With a pool of one connection, every supervisor page,
its header's to-do count and a form post still work: a second connection taken while one is held would deadlock
the pool once as many pages are under way as it has connections, each waiting for another (the benchmark saw
every page wait 30 s for the pool when 20 were under way on SQLite's 15 connections)."""
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import create_engine

from api.auth.tokens import Role
from api.clock import utcnow
from api.db.engine import sqlite_transactions
from api.main import create_app
from api.settings import Settings
from tests.app.conftest import SECRET, Api
from tests.app.test_pages import record_form, sign_in
from tests.app.test_todo_overview import CHAOYANG, A, region  # noqa: F401 - the fixture

pytestmark = pytest.mark.db


def one_connection(url) -> object:
    """An engine of the same database whose pool has one connection and waits 3 s for it."""
    pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 3}
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **pool)
        sqlite_transactions(engine)
        return engine
    return create_engine(url, **pool)


@pytest.fixture
def narrow(api, region, policy, tmp_path):  # noqa: F811 - the fixture
    """The service on a pool of one connection, its snapshot off (its refresher would share the connection)."""
    engine = one_connection(api.engine.url)
    settings = Settings(secret_key=SECRET.decode(), data_dir=tmp_path / "narrow", snapshot=False)
    app = create_app(engine, settings, policy, api.clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Api(client, app, api.clock, engine)
    engine.dispose()


def test_pages_and_their_to_do_count_on_one_connection(narrow, region, caplog):  # noqa: F811 - the fixture
    sign_in(narrow, scope="110000")
    for path in ("/ui/people", f"/ui/people/{A}", f"/ui/people/{A}/record", "/ui/todo", "/ui/overview",
                 "/ui/objections", f"/ui/records/{region['A']}/review", f"/ui/records/{region['A']}/letter"):
        r = narrow.client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert 'id="nav-todo">待办 (5)</a>' in r.text, path
    for path in ("/ui/people/export.xlsx", "/ui/objections/export.xlsx"):
        assert narrow.client.get(path).status_code == 200, path
    assert "the to-do count could not be read" not in caplog.text


@pytest.mark.parametrize("role,scope,paths", [
    (Role.PRACTITIONER, A, ["/ui/me", "/ui/me/records/{A}/letter", "/ui/me/records/{A}/objection"]),
    (Role.INSTITUTION, CHAOYANG, ["/ui/institution", "/ui/institution/notifications", "/ui/institution/export.xlsx"]),
])
def test_other_roles_pages_on_one_connection(narrow, region, role, scope, paths):  # noqa: F811 - the fixture
    sign_in(narrow, role, scope, "x")
    for path in paths:
        r = narrow.client.get(path.format(A=region["A"]))
        assert r.status_code == 200, (path, r.text[:300])


def test_a_form_post_on_one_connection(narrow):
    sign_in(narrow, scope="110000")
    form = record_form(narrow, A, points="4", decision_date="2026-02-25", case_number="京朝医保罚〔2026〕9号")
    r = narrow.client.post(f"/ui/people/{A}/record", data=form, follow_redirects=False)
    assert r.status_code == 303, re.findall(r'class="error".{0,300}', r.text, re.DOTALL)
    person = narrow.client.get(r.headers["location"])
    assert person.status_code == 200 and "京朝医保罚〔2026〕9号" in person.text


def later(app, **delta) -> None:
    """The page sessions' clock moved on (the date of the rules stays)."""
    now = utcnow() + timedelta(**delta)
    app.state.now = lambda: now


@pytest.mark.parametrize("path", ["/ui/people", f"/ui/people/{A}", "/ui/todo", "/ui/me"])
def test_a_page_that_writes_its_sign_in_on_one_connection(narrow, region, path):  # noqa: F811 - the fixture
    """A minute after the last page, the signed-in session's last_seen_at is written (a page of an idle session
    ends it): before the page's own session takes its connection."""
    if path == "/ui/me":
        sign_in(narrow, Role.PRACTITIONER, A, "x")
    else:
        sign_in(narrow, scope="110000")
    later(narrow.app, minutes=2)
    assert narrow.client.get(path).status_code == 200
    later(narrow.app, minutes=40)
    r = narrow.client.get(path, follow_redirects=False)
    assert r.status_code == 303 and "reason=expired" in r.headers["location"]


@pytest.mark.parametrize("pool", ["one connection", "the default pool"])
def test_a_form_posted_minutes_after_it_was_shown(api, narrow, pool):
    """The sign-in's write of last_seen_at comes before the form's own transaction, which on SQLite holds the
    write lock from its first statement: a form filled in slowly saves at once, on any pool."""
    client = narrow if pool == "one connection" else api
    sign_in(client, scope="110000")
    form = record_form(client, A, points="4", decision_date="2026-02-25", case_number="京朝医保罚〔2026〕9号")
    later(client.app, minutes=3)
    r = client.client.post(f"/ui/people/{A}/record", data=form, follow_redirects=False)
    assert r.status_code == 303, re.findall(r'class="error".{0,300}', r.text, re.DOTALL)

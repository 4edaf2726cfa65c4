"""End-to-end: the real app served by uvicorn on a loopback port, over the database under test, driven by
Debian's Chromium through Playwright (no browser download). Screenshots go to test-artifacts/e2e/.

Without Chromium the tests skip, except under CI (CI=true), where a missing browser fails the run."""
import os
import shutil
import socket
import threading
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.auth.tokens import Role
from api.main import create_app
from api.settings import Settings
from tests.conftest import issue_test_token, wipe

CHROMIUM = os.environ.get("POINTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "e2e"
TODAY = date(2026, 3, 1)
SECRET = "e2e-secret-key-of-at-least-32-bytes"


@pytest.fixture(scope="session")
def chromium() -> str:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


class Site:
    """The running app: its address, a token factory and an httpx client for setting up data."""

    def __init__(self, url: str, engine):
        self.url, self.engine = url, engine
        self.http = httpx.Client(base_url=url, timeout=10)

    def token(self, role: Role, scope: str, name: str) -> str:
        return issue_test_token(self.engine, SECRET.encode(), role, scope, name)

    def post(self, token: str, path: str, body: dict) -> dict:
        r = self.http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture
def site(committed_engine, policy, tmp_path):
    wipe(committed_engine)
    app = create_app(committed_engine, Settings(secret_key=SECRET, data_dir=tmp_path), policy, lambda: TODAY)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    site = Site(f"http://127.0.0.1:{sock.getsockname()[1]}", committed_engine)
    yield site
    site.http.close()
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def console_errors():
    """Pages opened with watch(page) report script errors and refused resources (CSP) here."""
    errors: list[str] = []

    def watch(page):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    yield watch
    assert errors == [], errors


@pytest.fixture
def shots(request):
    """shots("name", page) saves test-artifacts/e2e/<test>/<n>-name.png."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = iter(range(1, 100))

    def take(name: str, page) -> Path:
        path = folder / f"{next(count):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


PERSON = "D110105000123"


@pytest.fixture
def beijing(site) -> str:
    """A Beijing supervisor's token, an institution and a physician (PERSON) registered there."""
    token = site.token(Role.SUPERVISOR, "110000", "北京市医保局 李科长")
    site.post(token, "/v1/institutions", {"code": "H11010500001", "name": "朝阳第一医院", "kind": "hospital",
                                          "region": "110105"})
    site.post(token, "/v1/practitioners", {"code": PERSON, "name": "王伟", "category": "medical",
                                           "institution_code": "H11010500001", "registered_on": "2025-01-01"})
    return token


def record_until_suspended(site: Site, token: str) -> None:
    """5 + 4 points in February 2026 (cases 京朝医保罚〔2026〕5号 and 4号): suspended 21 February – 20 March."""
    for points, violation, day in ((5, "H01", "2026-02-10"), (4, "H02", "2026-02-20")):
        site.post(token, "/v1/cases", {
            "violation_code": violation, "decision_date": day, "case_number": f"京朝医保罚〔2026〕{points}号",
            "authority": "北京市朝阳区医疗保障局", "institution_code": "H11010500001",
            "people": [{"practitioner_code": PERSON, "points": points, "responsibility": "main"}]})

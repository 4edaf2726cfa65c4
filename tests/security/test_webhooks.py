"""Webhooks cannot be turned against the operator's network or the service: destinations must be on the
operator's allowlist (at subscription, and again after resolving at delivery), failures do not tell what listens
at an address, subscriptions are capped and die with their token, a change costs one event row whatever the
number of subscribers, and one bad receiver delays no one else. Receivers are real local servers."""
import json
import socket
import threading
import time

import pytest
from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from api.auth.service import revoke_token
from api.auth.tokens import Role
from api.clock import utcnow
from api.db.models import ApiToken, StatusEvent, WebhookDelivery, WebhookSubscription
from api.settings import Settings
from api.webhooks.delivery import NO_ANSWER, NOT_ALLOWED, deliver_due
from api.webhooks.destinations import Allowlist
from api.webhooks.outbox import fan_out
from tests.scheduler.test_webhooks import Receiver

LOCAL = Allowlist("127.0.0.1")


def register(api, headers, n: int, start: int = 201) -> None:
    """n status changes (unregistered -> normal), one event each."""
    for i in range(start, start + n):
        r = api.client.post("/v1/practitioners", headers=headers, json={
            "code": f"D110105000{i}", "name": "新人", "category": "medical", "institution_code": "H11010500001",
            "registered_on": "2025-01-01"})
        assert r.status_code == 201, r.text


def subscribe(api, headers, url):
    return api.client.post("/v1/webhooks", headers=headers, json={"url": url})


def settlement(api, name="北京结算系统"):
    return api.token(Role.SETTLEMENT, "110000", name)


def fan_out_now(api) -> int:
    with Session(api.engine) as session:
        return fan_out(session, utcnow())


def deliveries(api) -> list[WebhookDelivery]:
    with Session(api.engine) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def error(r):
    return r.status_code, r.json()["error"]["code"]


@pytest.fixture
def local(api):
    api.app.state.settings.webhook_allow = "127.0.0.1"


@pytest.fixture
def receiver():
    r = Receiver(failures=0)
    yield r
    r.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Silent:
    """Accepts connections (the kernel does) and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def close(self):
        self.sock.close()


class NotHttp:
    """Greets like another protocol's server, then hangs up (as a database or SSH port would)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
            conn.close()

    def close(self):
        self.sock.close()


# --- the allowlist -------------------------------------------------------------------------------------------

def test_with_an_empty_allowlist_nothing_can_be_subscribed_loopback_included(api, people):
    assert Settings().webhook_allow == ""
    settle = settlement(api)
    for url in ("http://127.0.0.1:5432/", "http://127.0.0.1:1/", "http://localhost:8000/", "http://[::1]/",
                "http://10.0.0.1/", "https://hooks.example.gov.cn/points"):
        r = subscribe(api, settle, url)
        assert error(r) == (422, "WEBHOOK_DESTINATION_NOT_ALLOWED"), (url, r.text)
    with Session(api.engine) as session:
        assert session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0


def test_only_listed_hosts_over_https_and_listed_addresses_are_accepted(api, people):
    api.app.state.settings.webhook_allow = "hooks.example.gov.cn, *.bank.example.cn, 10.20.0.0/16"
    settle = settlement(api)
    api.app.state.settings.webhook_max_per_client = 50
    for url in ("https://hooks.example.gov.cn/points", "https://HOOKS.example.gov.cn:8443/x",
                "https://pay.bank.example.cn/x", "http://10.20.3.4:8080/x", "https://10.20.0.1/x"):
        assert subscribe(api, settle, url).status_code == 201, url
    for url in ("http://hooks.example.gov.cn/points",       # a name needs https
                "https://evil.example.org/x", "https://hooks.example.gov.cn.evil.org/x", "https://bank.example.cn/x",
                "http://10.21.0.1/", "http://127.0.0.1:9/", "http://2130706433/", "http://0x7f.1/",
                "http://[::ffff:127.0.0.1]/", "http://localhost/"):
        assert error(subscribe(api, settle, url)) == (422, "WEBHOOK_DESTINATION_NOT_ALLOWED"), url


def test_delivery_checks_the_address_again_so_a_name_turned_inward_is_refused(api, people, receiver):
    """DNS rebinding: the name was allowed when subscribed; at delivery it resolves to loopback."""
    api.app.state.settings.webhook_allow = "hooks.example.gov.cn"
    port = receiver.server.server_port
    assert subscribe(api, settlement(api), f"https://hooks.example.gov.cn:{port}/hook").status_code == 201
    register(api, people, 1)
    fan_out_now(api)

    def rebound(host, port, **_):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    result = deliver_due(api.engine, utcnow, Allowlist("hooks.example.gov.cn"), resolver=rebound)
    assert result == {"attempted": 1, "delivered": 0, "failed_attempts": 1}
    assert receiver.received == []
    assert [(d.state, d.attempts, d.last_error) for d in deliveries(api)] == [("pending", 1, NOT_ALLOWED)]


def test_a_destination_taken_off_the_allowlist_gets_nothing_more(api, people, local, receiver):
    assert subscribe(api, settlement(api), receiver.url).status_code == 201
    register(api, people, 1)
    fan_out_now(api)
    deliver_due(api.engine, utcnow, Allowlist("10.0.0.0/8"))  # the operator has narrowed the list since
    assert receiver.received == [] and deliveries(api)[0].last_error == NOT_ALLOWED


def test_a_failed_delivery_does_not_tell_what_listens_there(api, people, local):
    """A closed port, a port that never answers, and a port speaking another protocol read the same, to the
    subscriber, as stored and as shown."""
    silent, other = Silent(), NotHttp()
    try:
        settle = settlement(api)
        urls = [f"http://127.0.0.1:{closed_port()}/hook", silent.url, other.url]
        ids = [subscribe(api, settle, url).json()["id"] for url in urls]
        register(api, people, 1)
        fan_out_now(api)
        assert deliver_due(api.engine, utcnow, LOCAL, timeout=0.5)["failed_attempts"] == 3
        assert {(d.last_error, d.last_status) for d in deliveries(api)} == {(NO_ANSWER, None)}
        shown = {api.client.get(f"/v1/webhooks/{sid}/deliveries", headers=settle).json()["items"][0]["last_error"]
                 for sid in ids}
        assert shown == {NO_ANSWER}
    finally:
        silent.close()
        other.close()


# --- caps and revocation -------------------------------------------------------------------------------------

def test_subscriptions_are_capped_per_client(api, people, local):
    assert Settings().webhook_max_per_client == 10
    api.app.state.settings.webhook_max_per_client = 3
    mine, theirs = settlement(api), settlement(api, "另一个结算系统")
    ids = [subscribe(api, mine, f"http://127.0.0.1:9/{i}").json()["id"] for i in range(3)]
    assert error(subscribe(api, mine, "http://127.0.0.1:9/3")) == (409, "WEBHOOK_LIMIT")
    assert subscribe(api, theirs, "http://127.0.0.1:9/x").status_code == 201
    assert api.client.delete(f"/v1/webhooks/{ids[0]}", headers=mine).status_code == 204
    assert subscribe(api, mine, "http://127.0.0.1:9/3").status_code == 201


def _token_id(api, name: str) -> str:
    with Session(api.engine) as session:
        return session.scalars(select(ApiToken.id).where(ApiToken.name == name)).one()


def test_a_revoked_tokens_subscriptions_stop_at_once(api, people, local, receiver):
    settle = settlement(api, "将被吊销的系统")
    sid = subscribe(api, settle, receiver.url).json()["id"]
    register(api, people, 1)
    fan_out_now(api)
    assert [d.state for d in deliveries(api)] == ["pending"]
    with Session(api.engine) as session:
        revoke_token(session, "operator", _token_id(api, "将被吊销的系统"), "key leaked")
        session.commit()
        assert session.get(WebhookSubscription, sid).active is False
    assert deliver_due(api.engine, utcnow, LOCAL)["attempted"] == 0
    register(api, people, 1, start=301)
    fan_out_now(api)
    assert len(deliveries(api)) == 1 and receiver.received == []


def test_a_token_revoked_behind_the_services_back_gets_no_delivery_either(api, people, local, receiver):
    subscribe(api, settlement(api, "另一个系统"), receiver.url)
    register(api, people, 1)
    fan_out_now(api)
    with Session(api.engine) as session:
        session.execute(update(ApiToken).where(ApiToken.id == _token_id(api, "另一个系统")).values(revoked_at=utcnow()))
        session.commit()
    assert deliver_due(api.engine, utcnow, LOCAL)["attempted"] == 0 and receiver.received == []


# --- fan-out by the scheduler --------------------------------------------------------------------------------

def _many_subscriptions(api, n: int) -> None:
    now = utcnow()
    with Session(api.engine) as session:
        session.execute(insert(WebhookSubscription), [
            {"owner": f"client-{i}", "owner_name": f"结算{i}", "region_prefix": "11", "url": f"http://127.0.0.1:9/{i}",
             "secret": "s", "active": True, "created_at": now} for i in range(n)])
        session.commit()


def _count(api, table) -> int:
    with Session(api.engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_change_writes_one_event_whatever_the_number_of_subscriptions(api, people):
    _many_subscriptions(api, 300)
    events = _count(api, StatusEvent)
    register(api, people, 1)  # the supervisor's request
    assert (_count(api, StatusEvent), _count(api, WebhookDelivery)) == (events + 1, 0)
    assert fan_out_now(api) >= 1 and _count(api, WebhookDelivery) == 300
    assert fan_out_now(api) == 0 and _count(api, WebhookDelivery) == 300  # run twice: nothing more
    _many_subscriptions(api, 1)  # subscribed after the event: not for it
    with Session(api.engine) as session:
        session.execute(update(StatusEvent).values(fanned_out_at=None))  # even if fanned out again, late
        session.commit()
    assert fan_out_now(api) == events + 1 and _count(api, WebhookDelivery) == 300


def test_fan_out_is_safe_to_run_late_and_twice_at_once(api, people):
    _many_subscriptions(api, 50)
    register(api, people, 6)  # the scheduler was down meanwhile
    errors = []

    def run():
        try:
            fan_out_now(api)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(api.engine) as session:
        pairs = session.execute(select(WebhookDelivery.subscription_id, WebhookDelivery.event_id)).all()
        pending = session.scalar(select(func.count()).where(StatusEvent.fanned_out_at.is_(None)))
    assert len(pairs) == len(set(pairs)) == 50 * 6 and pending == 0


# --- one receiver never delays the others --------------------------------------------------------------------

def test_a_hanging_receiver_delays_no_one_else(api, people, local, receiver):
    silent = Silent()
    try:
        settle = settlement(api)
        subscribe(api, settle, silent.url)  # first in line, twice: two batches for one destination
        subscribe(api, settle, silent.url)
        subscribe(api, settle, receiver.url)
        register(api, people, 4)
        fan_out_now(api)
        started = time.monotonic()
        result = deliver_due(api.engine, utcnow, LOCAL, timeout=1.0)
        elapsed = time.monotonic() - started
        assert len(receiver.received) == 1 and result["delivered"] == 1  # one POST, of the four events
        assert len(json.loads(receiver.received[0][1])["events"]) == 4
        assert elapsed < 2.5, elapsed  # one timeout for the hanging receiver, not one per batch
        hanging = [d for d in deliveries(api) if d.state != "delivered"]
        assert sorted(d.attempts for d in hanging) == [0] * 4 + [1] * 4  # the other batch waits for its retry
        assert all(d.next_attempt_at > utcnow() for d in hanging)
    finally:
        silent.close()


def test_a_slow_receiver_does_not_hold_the_run(api, people, local, receiver):
    slow = Receiver(failures=0, delay=2)
    try:
        settle = settlement(api)
        subscribe(api, settle, slow.url)
        subscribe(api, settle, receiver.url)
        register(api, people, 1)
        fan_out_now(api)
        started = time.monotonic()
        result = deliver_due(api.engine, utcnow, LOCAL, timeout=5, budget_seconds=0.3)
        assert time.monotonic() - started < 1.5 and result["delivered"] == 1 and len(receiver.received) == 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(d.state != "delivered" for d in deliveries(api)):
            time.sleep(0.1)
        assert [d.state for d in deliveries(api)] == ["delivered", "delivered"]  # its worker recorded it
        assert deliver_due(api.engine, utcnow, LOCAL)["attempted"] == 0  # and it is never sent twice
        assert len(slow.received) == 1
    finally:
        slow.close()


def test_events_reach_every_region_where_the_person_is_registered_and_no_other(api, people, local):
    """A Tianjin physician also registered in Beijing (多点执业): Beijing's settlement system pays their
    Beijing services, so it hears of their status changes; Shanghai's does not."""
    tianjin = api.token(Role.SUPERVISOR, "120000")
    assert api.client.post("/v1/institutions", headers=tianjin, json={
        "code": "H12010100001", "name": "和平医院", "kind": "hospital", "region": "120101"}).status_code == 201
    assert api.client.post("/v1/practitioners", headers=tianjin, json={
        "code": "D120101000009", "name": "孙杰", "category": "medical", "institution_code": "H12010100001",
        "registered_on": "2025-01-01"}).status_code == 201
    assert api.client.post("/v1/registrations", headers=people, json={
        "practitioner_code": "D120101000009", "institution_code": "H11010500001",
        "starts_on": "2026-03-01"}).status_code == 201
    beijing = subscribe(api, settlement(api), "http://127.0.0.1:9/bj").json()["id"]
    shanghai = subscribe(api, api.token(Role.SETTLEMENT, "310000", "上海结算"), "http://127.0.0.1:9/sh").json()["id"]
    r = api.client.post("/v1/cases", headers=tianjin, json={
        "violation_code": "S01", "decision_date": "2026-02-20", "case_number": "津〔2026〕9号", "authority": "医保局",
        "institution_code": "H12010100001", "people": [{"practitioner_code": "D120101000009", "points": 9}]})
    assert r.status_code == 201, r.text
    fan_out_now(api)
    with Session(api.engine) as session:
        reached = set(session.scalars(select(WebhookDelivery.subscription_id).join(
            StatusEvent, StatusEvent.id == WebhookDelivery.event_id).where(
            StatusEvent.practitioner_code == "D120101000009")))
    assert reached == {beijing} and shanghai not in reached

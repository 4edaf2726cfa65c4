"""Webhooks tell of a sanction when it is decided, not only when it starts, and go out in signed batches of up to
100 events, in feed order, one batch at a time per subscription. Receivers are real local HTTP servers."""
import hashlib
import hmac
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from api.auth.tokens import Role
from api.clock import utcnow
from api.db.models import WebhookBatch, WebhookDelivery
from api.ledger.status import refresh_statuses
from api.practitioners.importer import import_practitioners
from api.webhooks.delivery import BATCH_SIZE, run_webhooks
from api.webhooks.destinations import Allowlist
from tests.app.conftest import case
from tests.scheduler.test_webhooks import Receiver

CODE = "D110105000123"
LOCAL = Allowlist("127.0.0.1")


@pytest.fixture
def receiver():
    r = Receiver(failures=0)
    yield r
    r.close()


def subscribe(api, url) -> dict:
    api.app.state.settings.webhook_allow = "127.0.0.1"
    r = api.client.post("/v1/webhooks", headers=api.token(Role.SETTLEMENT, "110000", "北京结算"), json={"url": url})
    assert r.status_code == 201, r.text
    return r.json()


def verified(secret: str, headers: dict, body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in headers["X-Points-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def posts(receiver) -> list[dict]:
    return [json.loads(body) for _, body in receiver.received]


def test_a_termination_decided_today_and_starting_tomorrow_is_sent_today(api, people, receiver):
    subscription = subscribe(api, receiver.url)
    assert case(api, people, 12, "2026-03-01", violation="F01").status_code == 201
    assert run_webhooks(api.engine, utcnow, LOCAL)["delivered"] == 1
    [(headers, body)] = receiver.received
    assert verified(subscription["secret"], headers, body)
    payload = json.loads(body)
    assert (payload["version"], payload["subscription_id"]) == (2, subscription["id"])
    [event] = payload["events"]
    assert (event["type"], event["kind"], event["practitioner_code"], event["previous_status"], event["status"],
            event["starts_on"], event["until"], event["effective_on"]) == (
        "sanction.decided", "decided", CODE, "normal", "banned", "2026-03-02", "2029-03-01", "2026-03-01")
    settle = api.token(Role.SETTLEMENT, "110000")
    for day, eligible in (("2026-03-01", True), ("2026-03-02", False)):  # what the event announced
        r = api.client.get("/v1/eligibility", headers=settle, params={"code": CODE, "date": day})
        assert r.json()["eligible"] is eligible, r.text

    api.clock.today = date(2026, 3, 2)  # tomorrow it takes effect: a second event
    with Session(api.engine) as session:
        refresh_statuses(session, api.app.state.policy, api.clock.today)
        session.commit()
    assert run_webhooks(api.engine, utcnow, LOCAL)["delivered"] == 1
    [started] = posts(receiver)[1]["events"]
    assert (started["type"], started["previous_status"], started["status"], started["until"]) == (
        "status.changed", "normal", "banned", "2029-03-01")
    assert started["seq"] > event["seq"]


def register_many(api, n: int) -> list[str]:
    """n people imported from a CSV file, each registered: n status events."""
    codes = [f"D110105{1000 + i:06d}" for i in range(n)]
    lines = ["code,name,category,institution_code,registered_on"]
    lines += [f"{code},新人,medical,H11010500001,2025-01-01" for code in codes]
    with Session(api.engine) as session:
        report = import_practitioners(session, "导入", lines, api.app.state.policy, api.clock.today)
        session.commit()
    assert report.practitioners_created == n
    return codes


def test_250_events_to_one_subscription_go_out_in_3_posts_in_order(api, people, receiver):
    subscription = subscribe(api, receiver.url)
    codes = register_many(api, 250)
    result = run_webhooks(api.engine, utcnow, LOCAL)
    assert (result["attempted"], result["delivered"], result["failed_attempts"]) == (3, 3, 0)
    batches = posts(receiver)
    assert [len(b["events"]) for b in batches] == [BATCH_SIZE, BATCH_SIZE, 50]
    assert all(verified(subscription["secret"], headers, body) for headers, body in receiver.received)
    assert [int(headers["X-Points-Batch"]) for headers, _ in receiver.received] == [b["batch_id"] for b in batches]
    assert [b["batch_id"] for b in batches] == sorted({b["batch_id"] for b in batches})
    events = [e for b in batches for e in b["events"]]
    assert [e["practitioner_code"] for e in events] == codes
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == 250
    with Session(api.engine) as session:
        assert {d.state for d in session.scalars(select(WebhookDelivery))} == {"delivered"}
        assert [(b.state, b.events, b.attempts) for b in session.scalars(select(WebhookBatch).order_by(
            WebhookBatch.id))] == [("delivered", 100, 1), ("delivered", 100, 1), ("delivered", 50, 1)]
    assert run_webhooks(api.engine, utcnow, LOCAL)["attempted"] == 0  # nothing is sent twice


def test_a_failing_batch_holds_back_the_next_until_it_is_delivered(api, people):
    flaky = Receiver(failures=1)  # answers 500 once, then 200
    try:
        subscribe(api, flaky.url)
        codes = register_many(api, 150)
        now = utcnow()
        assert run_webhooks(api.engine, lambda: now, LOCAL)["attempted"] == 1  # the first batch failed: it waits
        assert run_webhooks(api.engine, lambda: now, LOCAL)["attempted"] == 0  # and so does the one after it
        now += timedelta(seconds=15)  # past the first retry
        result = run_webhooks(api.engine, lambda: now, LOCAL)
        assert (result["attempted"], result["delivered"]) == (2, 2)
        batches = posts(flaky)
        assert [(b["batch_id"], len(b["events"])) for b in batches] == [
            (batches[0]["batch_id"], 100), (batches[0]["batch_id"], 100), (batches[2]["batch_id"], 50)]
        assert batches[0] == batches[1]  # retried as it was made
        assert [e["practitioner_code"] for b in batches[1:] for e in b["events"]] == codes
    finally:
        flaky.close()

"""Status webhooks against a real local receiver that fails, then recovers."""
import hashlib
import hmac
import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlmodel import Session

from api.clock import utcnow
from api.db.models import WebhookBatch, WebhookDelivery, WebhookSubscription
from api.webhooks import delivery as module
from api.webhooks.destinations import Allowlist
from api.webhooks.outbox import fan_out
from tests.scheduler.conftest import record, seed

CODE = "D110105000001"
SECRET = "whsec-test"
LOCAL = Allowlist("127.0.0.1")  # the receivers here listen on loopback


class Receiver:
    """Answers 500 to the first `failures` posts, then 200; keeps what it received."""

    def __init__(self, failures: int = 2, delay: float = 0.0):
        self.failures, self.delay, self.received = failures, delay, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                status = 500 if len(receiver.received) <= receiver.failures else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def subscribe(engine, url, prefix=""):
    with Session(engine) as session:
        session.add(WebhookSubscription(owner="tok", owner_name="结算系统", region_prefix=prefix, url=url,
                                        secret=SECRET, created_at=utcnow()))
        session.commit()


def deliver_due(engine, clock, **options):
    """What the scheduler's job does: fan new events out, then send what is due."""
    with Session(engine) as session:
        fan_out(session, clock())
    return module.deliver_due(engine, clock, LOCAL, **options)


def batch(engine):
    """The one batch (POST) made: here, of the two events of one record (suspension decided, and started)."""
    with Session(engine) as session:
        return session.scalars(select(WebhookBatch)).one()


def deliveries(engine):
    with Session(engine) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_failing_receiver_gets_retried_with_backoff_until_it_recovers(engine, policy, receiver):
    seed(engine, policy, CODE)
    subscribe(engine, receiver.url)
    record(engine, policy, CODE, 9, date(2026, 2, 10), date(2026, 2, 11))  # suspended from 11 Feb
    now = utcnow()
    clock = lambda: now  # noqa: E731

    assert deliver_due(engine, clock) == {"attempted": 1, "delivered": 0, "failed_attempts": 1}
    first = batch(engine)
    assert (first.state, first.attempts, first.last_status, first.events) == ("pending", 1, 500, 2)
    assert timedelta(seconds=10) <= first.next_attempt_at - now <= timedelta(seconds=11)
    assert deliver_due(engine, clock)["attempted"] == 0  # not due yet

    now += timedelta(seconds=12)
    assert deliver_due(engine, clock)["failed_attempts"] == 1
    second = batch(engine)
    assert timedelta(seconds=20) <= second.next_attempt_at - now <= timedelta(seconds=22)

    now += timedelta(seconds=25)
    assert deliver_due(engine, clock)["delivered"] == 1
    done = batch(engine)
    assert (done.state, done.attempts, done.last_status, done.last_error) == ("delivered", 3, 200, None)
    assert [(d.state, d.attempts, d.batch_id) for d in deliveries(engine)] == [("delivered", 3, done.id)] * 2
    assert deliver_due(engine, clock)["attempted"] == 0

    assert len({body for _, body in receiver.received}) == 1  # each retry sent the same batch
    headers, body = receiver.received[-1]
    payload = json.loads(body)
    assert (payload["version"], payload["batch_id"], headers["X-Points-Batch"]) == (2, done.id, str(done.id))
    decided, started = payload["events"]
    assert (decided["type"], decided["status"], decided["starts_on"], decided["until"]) == (
        "sanction.decided", "suspended", "2026-02-11", "2026-03-10")
    assert (started["type"], started["practitioner_code"], started["previous_status"], started["status"],
            started["until"]) == ("status.changed", CODE, "normal", "suspended", "2026-03-10")
    assert decided["seq"] < started["seq"]
    t, v1 = (part.split("=", 1)[1] for part in headers["X-Points-Signature"].split(","))
    assert hmac.compare_digest(v1, hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest())


def test_a_hanging_receiver_costs_at_most_the_timeout_and_others_still_get_theirs(engine, policy):
    slow, fine = Receiver(failures=0, delay=3), Receiver(failures=0)
    try:
        seed(engine, policy, CODE)
        subscribe(engine, slow.url)
        subscribe(engine, fine.url)
        record(engine, policy, CODE, 9, date(2026, 2, 10), date(2026, 2, 11))
        result = deliver_due(engine, utcnow, timeout=0.5)
        assert result == {"attempted": 2, "delivered": 1, "failed_attempts": 1}
        assert len(fine.received) == 1
    finally:
        slow.close()
        fine.close()


def test_after_the_last_attempt_a_delivery_is_marked_failed(engine, policy):
    dead = Receiver(failures=10**6)
    try:
        seed(engine, policy, CODE)
        subscribe(engine, dead.url)
        record(engine, policy, CODE, 9, date(2026, 2, 10), date(2026, 2, 11))
        now = utcnow()
        for _ in range(module.MAX_ATTEMPTS):
            deliver_due(engine, lambda: now)
            now += timedelta(hours=2)
        assert (batch(engine).state, batch(engine).attempts) == ("failed", module.MAX_ATTEMPTS)
        assert {(d.state, d.attempts) for d in deliveries(engine)} == {("failed", module.MAX_ATTEMPTS)}
        assert deliver_due(engine, lambda: now)["attempted"] == 0
    finally:
        dead.close()


def test_subscriptions_receive_only_their_region(engine, policy, receiver):
    subscribe(engine, receiver.url, prefix="31")  # Shanghai only
    seed(engine, policy, CODE)  # a Beijing physician: registration and suspension both change the status
    record(engine, policy, CODE, 9, date(2026, 2, 10), date(2026, 2, 11))
    with Session(engine) as session:
        assert fan_out(session, utcnow()) == 3  # registered; suspension decided; suspended
        assert session.scalars(select(WebhookDelivery)).all() == []

"""Sending pending deliveries: signed (HMAC-SHA256), retried with exponential backoff, state kept per delivery.

Receivers verify `X-Points-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
"""
import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.db.models import StatusEvent, WebhookDelivery, WebhookSubscription

MAX_ATTEMPTS = 15
FIRST_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 3600


def backoff(attempts: int, rnd: random.Random = random.Random()) -> timedelta:
    """10 s, 20 s, 40 s, ... capped at an hour, with up to 10% jitter."""
    seconds = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1))
    return timedelta(seconds=seconds * (1 + rnd.random() / 10))


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event_body(event: StatusEvent) -> bytes:
    return json.dumps({
        "id": event.id, "type": "status.changed", "practitioner_code": event.practitioner_code,
        "previous_status": event.previous_status, "status": event.status,
        "until": event.until.isoformat() if event.until else None, "effective_on": event.effective_on.isoformat(),
        "cause": event.cause, "created_at": event.created_at.isoformat()}, ensure_ascii=False).encode()


@dataclass
class Attempt:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    attempts: int
    status: int | None = None
    error: str | None = None


def _due(engine: Engine, now: datetime, limit: int) -> list[Attempt]:
    with Session(engine) as session:
        rows = session.execute(
            select(WebhookDelivery.id, WebhookSubscription.url, WebhookSubscription.secret, StatusEvent,
                   WebhookDelivery.attempts)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(StatusEvent, StatusEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
                   WebhookSubscription.active.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
        return [Attempt(did, url, secret, event_body(event), attempts) for did, url, secret, event, attempts in rows]


def _send(client: httpx.Client, attempt: Attempt) -> None:
    timestamp = int(time.time())
    try:
        response = client.post(attempt.url, content=attempt.body, headers={
            "Content-Type": "application/json", "X-Points-Event": "status.changed",
            "X-Points-Delivery": str(attempt.delivery_id),
            "X-Points-Signature": signature(attempt.secret, timestamp, attempt.body)})
        attempt.status = response.status_code
        if not 200 <= response.status_code < 300:
            attempt.error = f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        attempt.error = f"{type(exc).__name__}: {exc}"[:500]


def _record(engine: Engine, attempts: list[Attempt], now: datetime) -> None:
    with Session(engine) as session:
        for a in attempts:
            tries = a.attempts + 1
            if a.error is None:
                values = {"state": "delivered", "delivered_at": now, "last_error": None}
            elif tries >= MAX_ATTEMPTS:
                values = {"state": "failed", "last_error": a.error}
            else:
                values = {"next_attempt_at": now + backoff(tries), "last_error": a.error}
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == a.delivery_id)
                            .values(attempts=tries, last_status=a.status, **values))
        session.commit()


def deliver_due(engine: Engine, now_fn, limit: int = 200, budget_seconds: float = 20.0,
                timeout: float = 5.0) -> dict:
    """Send what is due, without holding a transaction open over the network; stops after the time budget.
    Returns counts by outcome."""
    started = time.monotonic()
    attempts = _due(engine, now_fn(), limit)
    sent: list[Attempt] = []
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for attempt in attempts:
            if time.monotonic() - started > budget_seconds:
                break
            _send(client, attempt)
            sent.append(attempt)
    _record(engine, sent, now_fn())
    ok = sum(a.error is None for a in sent)
    return {"attempted": len(sent), "delivered": ok, "failed_attempts": len(sent) - ok}

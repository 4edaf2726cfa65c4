"""Sending pending deliveries: signed (HMAC-SHA256), retried with exponential backoff, state kept per delivery.

Receivers verify `X-Points-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

Each destination (scheme, host, port) is served by its own worker, one request at a time, so a receiver that
fails or hangs only delays itself: after its first request without an answer its other deliveries wait for the
next attempt, and the run returns at its time budget whether or not a slow receiver is still answering (the
deliveries a run takes are leased, so a late answer is recorded by its worker and never sent twice). A failed
delivery records the status it got, or one message whatever the network said (refused, closed, timed out, not
HTTP), so a subscriber cannot learn what listens at an address.
"""
import hashlib
import hmac
import json
import logging
import random
import socket
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import exists, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.db.models import ApiToken, StatusEvent, WebhookDelivery, WebhookSubscription
from api.webhooks.destinations import Allowlist, DestinationRefused, Target
from api.webhooks.outbox import fan_out

log = logging.getLogger("points.webhooks")
MAX_ATTEMPTS = 15
FIRST_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 3600
LEASE = timedelta(minutes=5)  # a taken delivery is not taken again meanwhile
NO_ANSWER = "no answer from the destination"
NOT_ALLOWED = "destination not allowed by the webhook allowlist"


_JITTER = random.Random()


def backoff(attempts: int, rnd: random.Random = _JITTER) -> timedelta:
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
    unanswered: bool = False  # no HTTP answer: the destination is down or hanging


def _take_due(engine: Engine, now: datetime, limit: int) -> list[Attempt]:
    """Due deliveries of active subscriptions whose token is not revoked, leased to this run."""
    revoked = exists().where(ApiToken.id == WebhookSubscription.owner, ApiToken.revoked_at.is_not(None))
    query = (select(WebhookDelivery.id, WebhookSubscription.url, WebhookSubscription.secret, StatusEvent,
                    WebhookDelivery.attempts)
             .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
             .join(StatusEvent, StatusEvent.id == WebhookDelivery.event_id)
             .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.active.is_(True), ~revoked)
             .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        rows = session.execute(query).all()
        attempts = [Attempt(did, url, secret, event_body(event), tries) for did, url, secret, event, tries in rows]
        if attempts:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_([a.delivery_id for a in attempts]))
                            .values(next_attempt_at=now + LEASE))
        session.commit()
    return attempts


def _request_url(url: str, target: Target) -> tuple[str, str]:
    """The URL aimed at the checked address, and the Host header naming the original host."""
    parts = urlsplit(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    return (urlunsplit((parts.scheme, f"{address}:{target.port}", parts.path or "/", parts.query, "")),
            parts.netloc.rpartition("@")[2])


def _send(client: httpx.Client, target: Target, attempt: Attempt) -> None:
    url, host = _request_url(attempt.url, target)
    timestamp = int(time.time())
    try:
        with client.stream("POST", url, content=attempt.body, extensions={"sni_hostname": target.host}, headers={
                "Host": host, "Content-Type": "application/json", "X-Points-Event": "status.changed",
                "X-Points-Delivery": str(attempt.delivery_id),
                "X-Points-Signature": signature(attempt.secret, timestamp, attempt.body)}) as response:
            attempt.status = response.status_code  # the body is never read
        if not 200 <= attempt.status < 300:
            attempt.error = f"HTTP {attempt.status}"
    except Exception as exc:  # noqa: BLE001 (whatever went wrong on the way, the subscriber sees one message)
        log.info("webhook delivery %s to %s: %r", attempt.delivery_id, target.host, exc)
        attempt.error, attempt.unanswered = NO_ANSWER, True


def _record(engine: Engine, attempt: Attempt, now: datetime) -> None:
    tries = attempt.attempts + 1
    if attempt.error is None:
        values = {"state": "delivered", "delivered_at": now, "last_error": None}
    elif tries >= MAX_ATTEMPTS:
        values = {"state": "failed", "last_error": attempt.error}
    else:
        values = {"next_attempt_at": now + backoff(tries), "last_error": attempt.error}
    with Session(engine) as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == attempt.delivery_id)
                        .values(attempts=tries, last_status=attempt.status, **values))
        session.commit()


def _release(engine: Engine, attempts: list[Attempt], when: datetime) -> None:
    """Deliveries taken but not tried: due again at `when`, their attempt count unchanged."""
    if attempts:
        with Session(engine) as session:
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_([a.delivery_id for a in attempts]))
                            .values(next_attempt_at=when))
            session.commit()


def _serve_destination(engine: Engine, allow: Allowlist, attempts: list[Attempt], now_fn, timeout: float,
                       deadline: float, resolver) -> list[Attempt]:
    """One destination's deliveries, in order, one at a time. Returns those tried."""
    try:
        target = allow.resolve(attempts[0].url, resolver)  # checked once per run, then connected to as checked
    except DestinationRefused as exc:
        log.warning("webhook deliveries %s refused: %s", [a.delivery_id for a in attempts], exc)
        for attempt in attempts:
            attempt.error = NOT_ALLOWED
            _record(engine, attempt, now_fn())
        return attempts
    except Exception as exc:  # noqa: BLE001 (the name does not resolve: like a closed port)
        log.info("webhook destination %s: %r", urlsplit(attempts[0].url).hostname, exc)
        target = None
    tried: list[Attempt] = []
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for n, attempt in enumerate(attempts):
            if time.monotonic() > deadline:
                _release(engine, attempts[n:], now_fn())
                break
            if target is None:
                attempt.error, attempt.unanswered = NO_ANSWER, True
            else:
                _send(client, target, attempt)
            _record(engine, attempt, now_fn())
            tried.append(attempt)
            if attempt.unanswered:  # down or hanging: the rest wait for this one's retry
                _release(engine, attempts[n + 1:], now_fn() + backoff(attempt.attempts + 1))
                break
    return tried


def _destination(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def deliver_due(engine: Engine, now_fn, allow: Allowlist, limit: int = 500, budget_seconds: float = 20.0,
                timeout: float = 5.0, workers: int = 16, resolver=socket.getaddrinfo) -> dict:
    """Send what is due, a worker per destination, without holding a transaction open over the network. Returns
    after `budget_seconds` at most, with counts by outcome of the attempts finished by then."""
    started = time.monotonic()
    by_destination: dict[tuple, list[Attempt]] = defaultdict(list)
    for attempt in _take_due(engine, now_fn(), limit):
        by_destination[_destination(attempt.url)].append(attempt)
    if not by_destination:
        return {"attempted": 0, "delivered": 0, "failed_attempts": 0}
    deadline = started + budget_seconds
    pool = ThreadPoolExecutor(min(workers, len(by_destination)), thread_name_prefix="webhook")
    futures = [pool.submit(_serve_destination, engine, allow, batch, now_fn, timeout, deadline, resolver)
               for batch in by_destination.values()]
    done, _ = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
    pool.shutdown(wait=False)  # a receiver still answering keeps its worker, which records the outcome itself
    sent = [a for f in done if f.exception() is None for a in f.result()]
    for f in done:
        if f.exception() is not None:
            log.error("webhook worker failed: %r", f.exception())
    ok = sum(a.error is None for a in sent)
    return {"attempted": len(sent), "delivered": ok, "failed_attempts": len(sent) - ok}


def run_webhooks(engine: Engine, now_fn, allow: Allowlist, **options) -> dict:
    """The scheduler's job: fan new status events out to deliveries, then send what is due."""
    with Session(engine) as session:
        fanned = fan_out(session, now_fn())
    return {"events_fanned_out": fanned, **deliver_due(engine, now_fn, allow, **options)}

"""Sending pending deliveries in batches: signed (HMAC-SHA256), retried with exponential backoff, state kept per
batch and mirrored on each of its deliveries.

A subscription's pending deliveries go out in batches of up to BATCH_SIZE events, in feed order, as one POST
`{"version": 2, "batch_id", "subscription_id", "events": [...]}`. A subscription has at most one pending batch
(a partial unique index): its next batch is made only when that one is delivered or has failed for good, so
batches arrive in order, and a batch is retried as it was made (the same id and events). Receivers verify
`X-Points-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

Each destination (scheme, host, port) is served by its own worker, one request at a time, so a receiver that
fails or hangs only delays itself: after its first request without an answer its other batches wait for the
next attempt, and the run returns at its time budget whether or not a slow receiver is still answering (the
batches a run takes are leased, so a late answer is recorded by its worker and never sent twice). A failed
attempt records the status it got, or one message whatever the network said (refused, closed, timed out, not
HTTP), so a subscriber cannot learn what listens at an address.
"""
import hashlib
import hmac
import json
import logging
import random
import socket
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import exists, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.db.models import ApiToken, StatusEvent, WebhookBatch, WebhookDelivery, WebhookSubscription
from api.webhooks.destinations import Allowlist, DestinationRefused, Target
from api.webhooks.outbox import fan_out
from api.webhooks.schemas import StatusChange

log = logging.getLogger("points.webhooks")
BATCH_SIZE = 100  # events per POST
PAYLOAD_VERSION = 2  # 1: one event object per POST (before batches)
MAX_ATTEMPTS = 15
FIRST_RETRY_SECONDS = 10
MAX_RETRY_SECONDS = 3600
LEASE = timedelta(minutes=5)  # a taken batch is not taken again meanwhile
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


def batch_body(batch_id: int, subscription_id: int, events: list[StatusEvent]) -> bytes:
    return json.dumps({"version": PAYLOAD_VERSION, "batch_id": batch_id, "subscription_id": subscription_id,
                       "events": [StatusChange.of(e).model_dump(mode="json") for e in events]},
                      ensure_ascii=False).encode()


@dataclass
class Attempt:
    """One POST: a batch."""
    batch_id: int
    subscription_id: int
    url: str
    secret: str
    body: bytes
    attempts: int
    events: int = 0
    status: int | None = None
    error: str | None = None
    unanswered: bool = False  # no HTTP answer: the destination is down or hanging


def _revoked():
    return exists().where(ApiToken.id == WebhookSubscription.owner, ApiToken.revoked_at.is_not(None))


def _sendable():
    """The subscription is active and its token not revoked."""
    return WebhookSubscription.active.is_(True) & ~_revoked()


def _pending_batch(subscription_id):
    return exists().where(WebhookBatch.subscription_id == subscription_id, WebhookBatch.state == "pending")


def _open_batch(session: Session, subscription_id: int, now: datetime) -> bool:
    """A batch of the subscription's oldest unbatched pending deliveries (feed order), unless one is pending."""
    if session.scalar(select(_pending_batch(subscription_id))):
        return False
    ids = list(session.scalars(
        select(WebhookDelivery.id).join(StatusEvent, StatusEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state == "pending",
               WebhookDelivery.batch_id.is_(None))
        .order_by(StatusEvent.seq, StatusEvent.id).limit(BATCH_SIZE)))
    if not ids:
        return False
    batch = WebhookBatch(subscription_id=subscription_id, events=len(ids), next_attempt_at=now, created_at=now)
    try:
        with session.begin_nested():
            session.add(batch)
    except IntegrityError:  # a concurrent run opened one first
        return False
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                    .values(batch_id=batch.id, next_attempt_at=now))
    return True


def _open_batches(session: Session, now: datetime) -> None:
    """A batch for every sendable subscription with unbatched pending deliveries and no pending batch."""
    waiting = (select(WebhookDelivery.subscription_id).distinct()
               .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
               .where(WebhookDelivery.state == "pending", WebhookDelivery.batch_id.is_(None), _sendable(),
                      ~_pending_batch(WebhookDelivery.subscription_id)))
    for subscription_id in list(session.scalars(waiting)):
        _open_batch(session, subscription_id, now)


def _lease(session: Session, rows, now: datetime) -> list[Attempt]:
    """Attempts for the batches `rows` (id, subscription id, url, secret, attempts), leased to this run."""
    if not rows:
        return []
    ids = [r[0] for r in rows]
    events = defaultdict(list)
    for batch_id, event in session.execute(
            select(WebhookDelivery.batch_id, StatusEvent).join(StatusEvent, StatusEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.batch_id.in_(ids)).order_by(StatusEvent.seq, StatusEvent.id)):
        events[batch_id].append(event)
    session.execute(update(WebhookBatch).where(WebhookBatch.id.in_(ids)).values(next_attempt_at=now + LEASE))
    return [Attempt(bid, sid, url, secret, batch_body(bid, sid, events[bid]), tries, len(events[bid]))
            for bid, sid, url, secret, tries in rows]


def _due(now: datetime):
    return (select(WebhookBatch.id, WebhookBatch.subscription_id, WebhookSubscription.url,
                   WebhookSubscription.secret, WebhookBatch.attempts)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookBatch.subscription_id)
            .where(WebhookBatch.state == "pending", WebhookBatch.next_attempt_at <= now, _sendable()))


def _locked(engine: Engine, query):
    if engine.dialect.name == "postgresql":
        return query.with_for_update(of=WebhookBatch, skip_locked=True)  # a concurrent run takes others
    return query


def _take_due(engine: Engine, now: datetime, limit: int) -> list[Attempt]:
    """Batches made for what is waiting, then the due ones of sendable subscriptions, leased to this run."""
    with Session(engine) as session:
        _open_batches(session, now)
        rows = session.execute(_locked(engine, _due(now).order_by(WebhookBatch.next_attempt_at, WebhookBatch.id)
                                       .limit(limit))).all()
        attempts = _lease(session, rows, now)
        session.commit()
    return attempts


def _take_next(engine: Engine, after: Attempt, now: datetime) -> Attempt | None:
    """After a delivered batch: the subscription's next batch, made and leased now if anything waits."""
    with Session(engine) as session:
        _open_batch(session, after.subscription_id, now)
        rows = session.execute(_locked(engine, _due(now).where(WebhookBatch.subscription_id == after.subscription_id)
                                       .limit(1))).all()
        attempts = _lease(session, rows, now)
        session.commit()
    return attempts[0] if attempts else None


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
                "Host": host, "Content-Type": "application/json", "X-Points-Event": "status.batch",
                "X-Points-Version": str(PAYLOAD_VERSION), "X-Points-Batch": str(attempt.batch_id),
                "X-Points-Signature": signature(attempt.secret, timestamp, attempt.body)}) as response:
            attempt.status = response.status_code  # the body is never read
        if not 200 <= attempt.status < 300:
            attempt.error = f"HTTP {attempt.status}"
    except Exception as exc:  # noqa: BLE001 (whatever went wrong on the way, the subscriber sees one message)
        log.info("webhook batch %s to %s: %r", attempt.batch_id, target.host, exc)
        attempt.error, attempt.unanswered = NO_ANSWER, True


def _record(engine: Engine, attempt: Attempt, now: datetime) -> None:
    """The outcome, on the batch and each of its deliveries."""
    tries = attempt.attempts + 1
    if attempt.error is None:
        values = {"state": "delivered", "delivered_at": now, "last_error": None}
    elif tries >= MAX_ATTEMPTS:
        values = {"state": "failed", "last_error": attempt.error}
    else:
        values = {"next_attempt_at": now + backoff(tries), "last_error": attempt.error}
    values.update(attempts=tries, last_status=attempt.status)
    with Session(engine) as session:
        session.execute(update(WebhookBatch).where(WebhookBatch.id == attempt.batch_id).values(**values))
        session.execute(update(WebhookDelivery).where(WebhookDelivery.batch_id == attempt.batch_id).values(**values))
        session.commit()


def _release(engine: Engine, attempts, when: datetime) -> None:
    """Batches taken but not tried: due again at `when`, their attempt count unchanged."""
    ids = [a.batch_id for a in attempts]
    if ids:
        with Session(engine) as session:
            session.execute(update(WebhookBatch).where(WebhookBatch.id.in_(ids)).values(next_attempt_at=when))
            session.execute(update(WebhookDelivery).where(WebhookDelivery.batch_id.in_(ids))
                            .values(next_attempt_at=when))
            session.commit()


def _serve_destination(engine: Engine, allow: Allowlist, attempts: list[Attempt], now_fn, timeout: float,
                       deadline: float, resolver) -> list[Attempt]:
    """One destination's batches, one request at a time; after a delivered full batch, that subscription's next
    one (if any is waiting) joins the queue. Returns those tried."""
    try:
        target = allow.resolve(attempts[0].url, resolver)  # checked once per run, then connected to as checked
    except DestinationRefused as exc:
        log.warning("webhook batches %s refused: %s", [a.batch_id for a in attempts], exc)
        for attempt in attempts:
            attempt.error = NOT_ALLOWED
            _record(engine, attempt, now_fn())
        return attempts
    except Exception as exc:  # noqa: BLE001 (the name does not resolve: like a closed port)
        log.info("webhook destination %s: %r", urlsplit(attempts[0].url).hostname, exc)
        target = None
    tried: list[Attempt] = []
    queue = deque(attempts)
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        while queue:
            if time.monotonic() > deadline:
                _release(engine, queue, now_fn())
                break
            attempt = queue.popleft()
            if target is None:
                attempt.error, attempt.unanswered = NO_ANSWER, True
            else:
                _send(client, target, attempt)
            _record(engine, attempt, now_fn())
            tried.append(attempt)
            if attempt.unanswered:  # down or hanging: the rest wait for this one's retry
                _release(engine, queue, now_fn() + backoff(attempt.attempts + 1))
                break
            # a full batch: more may be waiting (a smaller one took all there was when it was made)
            if attempt.error is None and attempt.events >= BATCH_SIZE and time.monotonic() < deadline:
                following = _take_next(engine, attempt, now_fn())
                if following is not None:
                    queue.append(following)
    return tried


def _destination(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def deliver_due(engine: Engine, now_fn, allow: Allowlist, limit: int = 200, budget_seconds: float = 20.0,
                timeout: float = 5.0, workers: int = 16, resolver=socket.getaddrinfo) -> dict:
    """Send what is due, a worker per destination, without holding a transaction open over the network. Returns
    after `budget_seconds` at most, with counts by outcome of the POSTs (batches) finished by then. `limit`:
    batches taken at the start (each subscription's next batches follow as the previous ones are delivered)."""
    by_destination: dict[tuple, list[Attempt]] = defaultdict(list)
    for attempt in _take_due(engine, now_fn(), limit):
        by_destination[_destination(attempt.url)].append(attempt)
    if not by_destination:
        return {"attempted": 0, "delivered": 0, "failed_attempts": 0}
    deadline = time.monotonic() + budget_seconds  # the budget is for sending (taking is a bounded transaction)
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

"""Server-side sign-ins for the pages. The browser's cookie holds a random 256-bit value; the database keeps only
its SHA-256 beside the signed-in token's identity, so neither the table nor a logged cookie name reveals a token.
A session ends on logout, after an idle period, when its token expires (the absolute cap) or is revoked."""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from api.auth.tokens import Principal, Role
from api.db.models import PageSession

MAX_COOKIE = 128  # longer values are not ours: not even hashed
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session


def session_id(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def start_session(session: Session, principal: Principal, now: datetime) -> str:
    """Records a new sign-in; returns the cookie's value (the only copy of it)."""
    cookie = secrets.token_urlsafe(32)
    session.add(PageSession(id=session_id(cookie), token_id=principal.id, role=principal.role.value,
                            scope=principal.scope, name=principal.name, token_expires_at=principal.expires_at,
                            created_at=now, last_seen_at=now))
    return cookie


def find_session(session: Session, cookie: str | None) -> PageSession | None:
    """The session a cookie names, live or ended; None for anything else (a token, garbage)."""
    if not cookie or len(cookie) > MAX_COOKIE:
        return None
    return session.get(PageSession, session_id(cookie))


def why_over(row: PageSession, now: datetime, idle: timedelta, revoked: frozenset[str]) -> str | None:
    """Why this session may no longer be used, or None while it is live."""
    if row.ended_at is not None:
        return row.ended_reason or "ended"
    if row.token_id in revoked:
        return "revoked"
    if row.token_expires_at <= now:
        return "expired"
    if now - row.last_seen_at > idle:
        return "idle"
    return None


def needs_touch(row: PageSession, now: datetime, idle: timedelta) -> bool:
    """last_seen_at is refreshed at most once a minute (or twice per idle period, if that is shorter)."""
    return now - row.last_seen_at >= min(TOUCH_EVERY, idle / 2)


def touch(session: Session, id_: str, now: datetime) -> None:
    session.execute(update(PageSession).where(PageSession.id == id_, PageSession.ended_at.is_(None))
                    .values(last_seen_at=now))


def end_session(session: Session, id_: str, reason: str, now: datetime) -> None:
    session.execute(update(PageSession).where(PageSession.id == id_, PageSession.ended_at.is_(None))
                    .values(ended_at=now, ended_reason=reason))


def end_sessions_of_token(session: Session, token_id: str, reason: str, now: datetime) -> None:
    session.execute(update(PageSession).where(PageSession.token_id == token_id, PageSession.ended_at.is_(None))
                    .values(ended_at=now, ended_reason=reason))


def principal_of(row: PageSession) -> Principal:
    return Principal(row.token_id, Role(row.role), row.scope, row.name, row.token_expires_at)


def session_csrf(key: bytes, id_: str) -> str:
    """The CSRF token of a session's forms: keyed, so knowing the stored id is not enough to forge it."""
    return hmac.new(key, f"csrf:{id_}".encode(), hashlib.sha256).hexdigest()[:32]

"""Issuing, listing and revoking tokens; the signing key; the revocation cache."""
import secrets
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from api.audit import audit
from api.auth.sessions import end_sessions_of_token
from api.auth.tokens import Principal, Role, new_token_id, sign, verify
from api.clock import utcnow
from api.db.models import ApiToken
from api.errors import AppError, NotFound, Unauthorized
from api.private_files import write_private
from api.settings import Settings
from api.webhooks.service import stop_subscriptions_of_token
from points.codes import parse_institution_code, parse_person_code
from points.errors import DomainError
from points.privacy import mask_id_numbers


def signing_key(settings: Settings) -> bytes:
    """POINTS_SECRET_KEY, or a key generated once into the data directory (zero set-up for SQLite)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():  # created 0600 at once; if another process made it first, its key is kept
        write_private(path, secrets.token_urlsafe(48), replace=False)
    return path.read_text().strip().encode()


def app_signing_key(state) -> bytes:
    """The app's key, read on first use (creating it may write a file)."""
    if state.signing_key is None:
        state.signing_key = signing_key(state.settings)
    return state.signing_key


def check_scope(role: Role, scope: str) -> str:
    try:
        if role is Role.INSTITUTION:
            return parse_institution_code(scope)
        if role is Role.PRACTITIONER:
            return str(parse_person_code(scope))
    except DomainError as exc:
        raise AppError(f"scope for {role}: {exc.message}", "INVALID_SCOPE") from exc
    if not (len(scope) == 6 and scope.isdigit()):
        raise AppError(f"scope for {role} must be a 6-digit region code (000000 = national)", "INVALID_SCOPE")
    return scope


def issue_token(session: Session, key: bytes, actor: str, role: Role, scope: str, name: str,
                days: float = 30) -> tuple[str, ApiToken]:
    now, name = utcnow(), mask_id_numbers(name)  # the name is the actor of every change made with the token
    principal = Principal(new_token_id(), role, check_scope(role, scope), name, now + timedelta(days=days))
    row = ApiToken(id=principal.id, name=name, role=role.value, scope=principal.scope, issued_at=now,
                   expires_at=principal.expires_at)
    session.add(row)
    audit(session, actor, "token.issue", "api_token", row.id, detail={"role": role, "scope": row.scope,
                                                                      "name": name, "days": days})
    return sign(key, principal), row


def revoke_token(session: Session, actor: str, token_id: str, reason: str) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}", "TOKEN_NOT_FOUND")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        end_sessions_of_token(session, token_id, "revoked", row.revoked_at)  # its pages sign out at once
        stop_subscriptions_of_token(session, token_id, row.revoked_at)  # and its webhooks stop
        audit(session, actor, "token.revoke", "api_token", token_id, reason)
    return row


class TokenCache:
    """Verified tokens, so a repeat request costs a dict lookup instead of an HMAC and a JSON parse.
    Expiry is still checked on every use."""

    def __init__(self, max_size: int = 10_000):
        self.max_size, self._principals = max_size, {}
        self._expiry: dict[str, tuple[Principal, float]] = {}  # the same, with the expiry as a POSIX time

    def cached(self, token: str | None) -> Principal | None:
        """A token verified before and not expired since; None otherwise (verify it)."""
        found = self._expiry.get(token)
        return found[0] if found is not None and found[1] > time.time() else None

    def verify(self, key: bytes, token: str, now) -> Principal:
        principal = self._principals.get(token)
        if principal is None:
            principal = verify(key, token, now)
            if len(self._principals) >= self.max_size:
                self._principals.clear()
                self._expiry.clear()
            self._principals[token] = principal
            self._expiry[token] = (principal, principal.expires_at.timestamp())
        elif principal.expires_at <= now:
            raise Unauthorized("token expired", "TOKEN_EXPIRED")
        return principal

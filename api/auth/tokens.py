"""Signed bearer tokens: `pts1.<payload>.<signature>`, HMAC-SHA256 over a JSON payload (id, role, scope,
name, expiry). Verifying needs no database; revocation is checked against a short-lived cache."""
import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum

from api.errors import Unauthorized

PREFIX = "pts1"


class Role(StrEnum):
    SUPERVISOR = "supervisor"      # 医保部门: scope = region code (000000 national, 110000 a province, ...)
    INSTITUTION = "institution"    # scope = institution code
    PRACTITIONER = "practitioner"  # scope = the person's own code
    SETTLEMENT = "settlement"      # settlement system: scope = region code


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role
    scope: str
    name: str
    expires_at: datetime

    @property
    def region_prefix(self) -> str:
        """The leading digits every region in scope shares: '' national, 2 a province, 4 a city, 6 a county."""
        scope = self.scope
        if scope == "000000":
            return ""
        if scope.endswith("0000"):
            return scope[:2]
        return scope[:4] if scope.endswith("00") else scope

    def covers_region(self, region: str) -> bool:
        return region.startswith(self.region_prefix)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, f"{PREFIX}.{payload}".encode(), hashlib.sha256).digest())


def new_token_id() -> str:
    return secrets.token_hex(8)


def sign(key: bytes, principal: Principal) -> str:
    payload = _b64(json.dumps({"id": principal.id, "role": principal.role.value, "scope": principal.scope,
                               "name": principal.name, "exp": int(principal.expires_at.timestamp())},
                              ensure_ascii=False, separators=(",", ":")).encode())
    return f"{PREFIX}.{payload}.{_sign(key, payload)}"


def verify(key: bytes, token: str, now: datetime) -> Principal:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise Unauthorized("malformed token", "TOKEN_INVALID")
    _, payload, signature = parts
    if not hmac.compare_digest(_sign(key, payload), signature):
        raise Unauthorized("token signature does not verify", "TOKEN_INVALID")
    try:
        data = json.loads(_unb64(payload))
        principal = Principal(data["id"], Role(data["role"]), data["scope"], data["name"],
                              datetime.fromtimestamp(data["exp"], timezone.utc))
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("malformed token", "TOKEN_INVALID") from exc
    if principal.expires_at <= now:
        raise Unauthorized("token expired", "TOKEN_EXPIRED")
    return principal

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
from points import regions
from points.privacy import mask_id_numbers

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
        return regions.prefix(self.scope)

    def covers_region(self, region: str) -> bool:
        return regions.covers(self.scope, region)


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
    """Any malformed token (wrong shape, non-ASCII, bad signature, odd payload) is 401 TOKEN_INVALID."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or not token.isascii():
        raise Unauthorized("malformed token", "TOKEN_INVALID")
    _, payload, signature = parts
    if not hmac.compare_digest(_sign(key, payload).encode(), signature.encode()):
        raise Unauthorized("token signature does not verify", "TOKEN_INVALID")
    try:
        data = json.loads(_unb64(payload))
        fields = data["id"], data["scope"], data["name"]
        if not all(type(f) is str for f in fields) or type(data["exp"]) is not int:
            raise TypeError("token fields have the wrong types")
        principal = Principal(data["id"], Role(data["role"]), data["scope"], mask_id_numbers(data["name"]),
                              datetime.fromtimestamp(data["exp"], timezone.utc))
    except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError) as exc:
        raise Unauthorized("malformed token", "TOKEN_INVALID") from exc
    if principal.expires_at <= now:
        raise Unauthorized("token expired", "TOKEN_EXPIRED")
    return principal

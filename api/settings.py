"""Settings from the environment (prefix POINTS_) or a .env file."""
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    # hide_input_in_errors: a refused secret is not echoed into the start-up error
    model_config = SettingsConfigDict(env_prefix="POINTS_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)

    data_dir: Path = Path("data")
    # Empty: an SQLite file in data_dir. Production: postgresql+psycopg://user@host/db
    database_url: str = ""
    policy_file: Path | None = None  # default: the policy file shipped in points/data
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 40
    # Signs API tokens. Empty: a key generated once into data_dir/secret.key. Set it in production.
    secret_key: str = ""
    # Keys the audit chain (HMAC-SHA256). Empty: derived from the token signing key. Keep it out of the database.
    audit_key: str = ""
    # Signed audit heads (`points audit checkpoint`, the scheduler). Empty: data_dir/audit-head.jsonl.
    audit_head_file: Path | None = None
    # Pages: a sign-in ends after this many minutes without a request; the cookie's Secure flag (auto: on
    # unless the request's host is loopback).
    session_idle_minutes: float = Field(30, gt=0)
    cookie_secure: Literal["auto"] | bool = "auto"
    # Each API process answers eligibility from an in-memory snapshot, refreshed every snapshot_interval seconds;
    # on PostgreSQL it LISTENs for changes (snapshot_listen) and polls only every snapshot_safety_interval.
    snapshot: bool = True
    snapshot_interval: float = 0.25  # at least FastAPI's 40-thread pool, or sync routes queue on connections
    snapshot_listen: bool = True  # false behind a pooler that cannot LISTEN (pgbouncer in transaction mode)
    snapshot_safety_interval: float = Field(5.0, gt=0)
    # The snapshot loads and refreshes from this database when set (a read replica); empty: database_url.
    read_database_url: str = ""
    # Request size caps (api/limits.py; `points serve` also caps headers in the HTTP parser). Bodies: 10,000
    # claims take about 2.5 MB; a 100,000-line eligibility batch with the longest refs about 14 MB.
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    max_batch_body_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    max_header_bytes: int = Field(16 * 1024, ge=1024)
    # Evidence files filed with an objection (api/evidence): PDF, JPEG or PNG, each at most evidence_max_bytes,
    # at most evidence_max_files per objection. Their uploads may carry a larger body (api/limits.py).
    evidence_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    evidence_max_files: int = Field(5, ge=1, le=50)
    # Webhook destinations (api/webhooks/destinations.py): comma-separated host names (`*.example.gov.cn`) and
    # IP addresses or networks. Empty: no destination is allowed, loopback included.
    webhook_allow: str = ""
    webhook_max_per_client: int = Field(10, ge=0)  # active subscriptions per settlement token
    # Request log (api/request_log.py): successful eligibility checks are summarised once a second per route;
    # true: one line each, like every other request
    log_each_check: bool = False

    @field_validator("secret_key")
    @classmethod
    def _secret_long_enough(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"POINTS_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (it has "
                             f"{len(value.encode())}); make one with: "
                             "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
        return value

    @field_validator("audit_key")
    @classmethod
    def _audit_key_long_enough(cls, value: str) -> str:
        if value and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"POINTS_AUDIT_KEY must be at least {MIN_SECRET_BYTES} bytes (it has "
                             f"{len(value.encode())})")
        return value

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'points.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

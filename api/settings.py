"""Settings from the environment (prefix POINTS_) or a .env file."""
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POINTS_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    # Empty: an SQLite file in data_dir. Production: postgresql+psycopg://user@host/db
    database_url: str = ""
    policy_file: Path | None = None  # default: the policy file shipped in points/data
    host: str = "127.0.0.1"
    port: int = 8000
    db_pool_size: int = 40
    # Signs API tokens. Empty: a key generated once into data_dir/secret.key. Set it in production.
    secret_key: str = ""
    # Each API process answers eligibility from an in-memory snapshot, refreshed every snapshot_interval seconds.
    snapshot: bool = True
    snapshot_interval: float = 0.25  # at least FastAPI's 40-thread pool, or sync routes queue on connections

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'points.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

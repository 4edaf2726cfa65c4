"""Run Alembic migrations from code: the only way the schema is made (CLI, tests and CI alike)."""
import sys
from pathlib import Path

from alembic.config import Config

from alembic import command


def _root() -> Path:
    """The checkout holding alembic.ini and alembic/ (an editable install, tests); for `pip install .` the copy
    the package installs under `<prefix>/share/points` (pyproject.toml, data-files)."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "alembic.ini").is_file():
        return checkout
    return Path(sys.prefix) / "share" / "points"


ROOT = _root()


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    if url:
        config.attributes["url"] = url
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)

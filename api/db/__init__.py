"""Persistence: the metadata conventions come first, then every table."""
from api.db import (
    base,  # noqa: F401  (naming convention before models)
    models,  # noqa: F401
)

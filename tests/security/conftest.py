"""The security suite reuses the app fixtures: a real migrated database, an app with a fixed clock."""
from tests.app.conftest import api, people  # noqa: F401  (fixtures)

"""Reads the policy file once per process (the domain core parses, this module does the I/O)."""
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from points import Policy, parse_policy


@lru_cache
def load_policy(path: Path | None = None) -> Policy:
    source = path if path else files("points").joinpath("data/policy.toml")
    return parse_policy(source.read_text(encoding="utf-8"))


def current_policy() -> Policy:
    from api.settings import get_settings

    return load_policy(get_settings().policy_file)

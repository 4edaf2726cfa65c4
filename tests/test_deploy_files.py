"""The deployment files stay true to the code: the settings file lists every setting, and the systemd units and
the Dockerfile run commands the `points` CLI has (docs/deployment.md)."""
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings

ROOT = Path(__file__).parents[1]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def test_the_settings_file_lists_every_setting_and_nothing_else():
    text = (ROOT / "deploy" / "points.env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?(POINTS_[A-Z_]+)=", text, re.M))
    assert listed == {f"POINTS_{name.upper()}" for name in Settings.model_fields}


def _runs(args: list[str]) -> None:
    """The command exists with these options: its --help parses them and exits 0."""
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, (args, result.output)


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_each_unit_runs_a_real_command_with_the_settings_file(unit):
    text = unit.read_text(encoding="utf-8")
    exec_start = shlex.split(re.search(r"^ExecStart=(.+)$", text, re.M).group(1))
    assert exec_start[0] == "/opt/points/venv/bin/points"
    _runs(exec_start[1:])
    assert "EnvironmentFile=/etc/points/points.env" in text and re.search(r"^User=points$", text, re.M)


def test_the_units_are_the_api_and_the_scheduler():
    assert [unit.name for unit in UNITS] == ["points-api.service", "points-scheduler.service"]


def test_the_image_serves_and_checks_liveness():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim" in text
    cmd = json.loads(re.search(r"^CMD (\[.+\])$", text, re.M).group(1))
    assert cmd[0] == "points"
    _runs(cmd[1:])
    assert re.search(r"^USER points", text, re.M) and "EXPOSE 8000" in text and "/healthz" in text
    assert "data/" in (ROOT / ".dockerignore").read_text(encoding="utf-8").split()

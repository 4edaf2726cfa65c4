"""`points serve` for real: a subprocess on a free loopback port over an SQLite data directory, with its
memory read from /proc and its log kept in a file."""
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET = "server-test-secret-key-of-32-bytes-or-more"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, url: str, log: Path, token: str):
        self.process, self.url, self.log, self.token = process, url, log, token

    def memory_mb(self, field: str) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise AssertionError(f"no {field}")

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), in MB."""
        return self.memory_mb("VmRSS")

    def peak_mb(self) -> float:
        """The most resident memory so far (VmHWM), in MB: a spike freed again still shows."""
        return self.memory_mb("VmHWM")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _points(env: dict, cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextmanager
def running_server(tmp_path: Path, workers: int = 1, **settings: str):
    """Yields a Server with a settlement token (scope 110000); extra POINTS_* settings by keyword. One worker
    by default, so the process measured is the one that serves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POINTS_")}
    env.update({"POINTS_DATA_DIR": str(tmp_path / "data"), "POINTS_SECRET_KEY": SECRET,
                **{f"POINTS_{k.upper()}": str(v) for k, v in settings.items()}})
    _points(env, tmp_path, "init-db")
    token = _points(env, tmp_path, "token", "issue", "--role", "settlement", "--scope", "110000",
                    "--name", "结算系统").strip().splitlines()[-1]
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", str(workers)]
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield Server(process, url, log, token)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""The processes the benchmark drives: `points serve` as shipped (the subject) and each baseline, one at a time,
each in its own process group; their uvicorn workers and resident memory read from /proc."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.baselines import workers_args

POINTS = Path(sys.executable).with_name("points")  # the console script installed with the project
LOGS = Path(__file__).parent / "results" / "logs"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status field in kB (VmRSS, VmHWM: the peak resident memory so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Server:
    """One server process on 127.0.0.1:`port`. Its workers: the uvicorn worker processes among its descendants
    (multiprocessing children), or the process itself when it serves alone (one worker)."""

    def __init__(self, name: str, command: list[str], port: int, workers: int, env: dict | None = None):
        self.name, self.port, self.workers = name, port, workers
        self.base = f"http://127.0.0.1:{port}"
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = LOGS / f"{name.replace(' ', '_').replace('-', '')}.log"  # its output, as a deployment keeps it
        self.started = time.perf_counter()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env={**os.environ, **(env or {})}, start_new_session=True,
                                            stdout=out, stderr=subprocess.STDOUT)

    def worker_pids(self) -> list[int]:
        tree, found, todo = _children(), [], [self.process.pid]
        while todo:
            for child in tree.get(todo.pop(), []):
                todo.append(child)
                if "spawn_main" in _cmdline(child):
                    found.append(child)
        return sorted(found) or [self.process.pid]

    def rss_mb(self) -> list[float]:
        return [status_kb(pid, "VmRSS") / 1024 for pid in self.worker_pids()]

    def peak_mb(self) -> list[float]:
        return [status_kb(pid, "VmHWM") / 1024 for pid in self.worker_pids()]

    def cpu_seconds(self) -> float:
        """User and system CPU time used so far by the workers (/proc/<pid>/stat, in clock ticks)."""
        ticks = 0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the whole line)
        return ticks / os.sysconf("SC_CLK_TCK")

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise SystemExit(f"{self.name} exited with status {self.process.returncode} (see {self.log})")

    def wait_until(self, ready, timeout: float = 600) -> float:
        """Seconds from start until `ready(base_url)` is true (connection errors count as not yet)."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            self.alive()
            try:
                if ready(self.base) and (self.workers == 1 or len(self.worker_pids()) >= self.workers):
                    return time.perf_counter() - self.started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"{self.name} was not ready after {timeout:.0f} s (see {self.log})")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def answers(path: str, method: str = "GET", body: bytes | None = None):
    return lambda base: httpx.request(method, base + path, content=body, timeout=2).status_code == 200


def serve_settings(port: int, workers: int) -> str:
    """`points serve --port P --workers N`'s uvicorn.run arguments, as JSON (read by bench/baselines.py)."""
    done = subprocess.run([sys.executable, "-m", "bench.baselines", "settings", str(port), str(workers)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"could not read points serve's settings:\n{done.stdout}{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def baseline(name: str, port: int, workers: int = 1) -> Server:
    """A baseline app (bench/baselines.py) on `points serve`'s uvicorn settings, ready to answer."""
    server = Server(name, [sys.executable, "-m", "bench.baselines", name, serve_settings(port, workers)], port,
                    workers)
    probe = answers("/v1/eligibility/batch", "POST", b"[]") if name == "floor" else answers("/v1/eligibility")
    server.wait_until(probe, 120)
    return server


def subject(port: int, workers: int, env: dict) -> Server:
    """`points serve` exactly as shipped (its production logging on); not yet waited for."""
    return Server(f"points serve --workers {workers}", [str(POINTS), "serve", "--port", str(port),
                                                        *workers_args(workers)], port, workers, env)


def snapshot_loaded(workers: int):
    """Ready when /healthz reports a loaded snapshot from every worker: by the answers' `pid` when /healthz
    gives one, else 10 answers per worker in a row on fresh connections (each may come from any worker)."""
    loaded_pids, in_a_row = set(), []

    def ready(base: str) -> bool:
        health = httpx.get(base + "/healthz", timeout=5)
        body = health.json() if health.status_code == 200 else {}
        if not body.get("snapshot"):
            in_a_row.clear()
            return False
        in_a_row.append(1)
        if "pid" in body:
            loaded_pids.add(body["pid"])
            return len(loaded_pids) >= workers
        return len(in_a_row) >= (1 if workers == 1 else 10 * workers)
    return ready

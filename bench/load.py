"""HTTP load from a second process on loopback: wrk for single requests, a one-by-one client for batches.

Every response counts: a wrk run with any non-2xx/3xx response or socket error, and a batch answered with a
non-200 status or the wrong number of lines, raises `LoadFailed` (the benchmark then exits non-zero)."""
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from pydantic_core import from_json

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


class LoadFailed(RuntimeError):
    """A load run saw an unexpected answer: its figures describe something other than the subject."""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed for the HTTP load (Debian package 'wrk')")
    return found


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(value) * UNITS[unit]


def parse(output: str) -> dict:
    """wrk --latency output -> req/s, p50/p99 ms, requests, non-2xx count and socket errors by kind."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    if not rps or not total:
        raise LoadFailed(f"wrk gave no result:\n{output}")
    latency = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    return {"rps": float(rps.group(1)), "p50_ms": latency.get("50"), "p99_ms": latency.get("99"),
            "requests": int(total.group(1)), "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": {k: int(n) for k, n in re.findall(r"(\w+) (\d+)", sockets.group(1))} if sockets else {}}


def check(result: dict, label: str) -> dict:
    """The failure rule: no request at all, any non-2xx/3xx answer or any socket error fails the run."""
    problems = []
    if result["requests"] == 0:
        problems.append("no request completed")
    if result["non_2xx"]:
        problems.append(f"{result['non_2xx']:,} of {result['requests']:,} responses were not 2xx/3xx")
    if any(result["socket_errors"].values()):
        problems.append(f"socket errors {result['socket_errors']}")
    if problems:
        raise LoadFailed(f"{label}: " + "; ".join(problems))
    return result


def run_wrk(url: str, connections: int, seconds: float, headers: dict | None = None,
            paths: list[str] | None = None, label: str | None = None, pipeline: int = 1) -> dict:
    """`paths`: request these in random order (a Lua script), else the url's own path. `pipeline`: requests
    written at once on a connection (HTTP/1.1 pipelining), so that wrk spends a fraction of the CPU per request;
    each still gets its own answer, counted and checked. Checked (see `check`)."""
    command = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    script = None
    if paths or pipeline > 1:
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        quoted = ",\n".join(f'"{p}"' for p in paths or [urlsplit(url).path])
        script.write_text(f"local paths = {{\n{quoted}\n}}\nlocal n = #paths\nmath.randomseed(42)\n"
                          "request = function()\n  local r = {}\n"
                          f"  for i = 1, {pipeline} do r[i] = wrk.format(\"GET\", paths[math.random(n)]) end\n"
                          "  return table.concat(r)\nend\n")
        command += ["-s", str(script)]
    try:
        done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60,
                              check=False)
    finally:
        if script:
            script.unlink()
    return check(parse(done.stdout + done.stderr), label or url)


def post_batches(base_url: str, bodies: list[bytes], lines_each: int, in_flight: int,
                 headers: dict | None = None, path: str = "/v1/eligibility/batch") -> dict:
    """POST every body, `in_flight` at a time; each answer must be 200 with one JSON line per request line.
    Sending, answering and parsing every answer are timed (`seconds`); the client's parsing alone too
    (`parse_s`), and with one request in flight the time without it (`answered_s`: the server's part and the
    transfer)."""
    parsing: list[float] = []

    def one(client: httpx.Client, body: bytes) -> int:
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
        if response.status_code != 200:
            raise LoadFailed(f"batch {base_url}{path}: status {response.status_code}: {response.text[:200]}")
        started = time.perf_counter()
        answered = len(from_json(response.content))
        parsing.append(time.perf_counter() - started)
        if answered != lines_each:
            raise LoadFailed(f"batch {base_url}{path}: {answered:,} lines answered for {lines_each:,}")
        return answered

    clients = [httpx.Client(base_url=base_url, headers=headers or {}, timeout=300) for _ in range(in_flight)]
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(in_flight) as pool:
            lines = sum(pool.map(one, (clients[i % in_flight] for i in range(len(bodies))), bodies))
        seconds = time.perf_counter() - started
    finally:
        for client in clients:
            client.close()
    out = {"lines": lines, "seconds": seconds, "in_flight": in_flight, "parse_s": sum(parsing)}
    return out | ({"answered_s": seconds - out["parse_s"]} if in_flight == 1 else {})

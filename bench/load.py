"""HTTP load from a second process on loopback, with wrk (bounded by its duration)."""
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed for the HTTP load (Debian package 'wrk')")
    return found


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * UNITS[unit]


def parse(output: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {p: _ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"],
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def run_wrk(url: str, connections: int, seconds: int, headers: dict | None = None,
            paths: list[str] | None = None) -> dict:
    """`paths`: request these in random order (a Lua script), else the url's own path."""
    command = [ensure_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    script = None
    if paths:
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        quoted = ",\n".join(f'"{p}"' for p in paths)
        script.write_text(f"local paths = {{\n{quoted}\n}}\nlocal n = #paths\nmath.randomseed(42)\n"
                          "request = function()\n  return wrk.format(\"GET\", paths[math.random(n)])\nend\n")
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    if script:
        script.unlink()
    return parse(out)

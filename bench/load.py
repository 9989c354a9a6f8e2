"""Load generation with wrk (Debian's `wrk`), driven by a generated Lua script.

httpx saturates near 500 req/s on these machines; wrk's C event loop with
LuaJIT request generation does not, so what we measure is the server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    requests: int
    seconds: float
    errors: int  # non-2xx/3xx answers plus socket errors and timeouts
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    bytes: int

    @property
    def ok_rps(self) -> float:
        """Requests per second that got a successful answer: errors do not count as throughput."""
        return max(0, self.requests - self.errors) / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    exe = shutil.which("wrk")
    if not exe:
        raise SystemExit("wrk is not installed; on Debian: apt-get install -y wrk")
    return exe


def run_wrk(url: str, script: Path, seconds: float, connections: int, threads: int,
            timeout_s: float = 30.0) -> Measurement:
    cmd = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
           f"--timeout", f"{int(timeout_s)}s", "-s", str(script), url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 60)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    d = json.loads(line[len("BENCH "):])
    errors = d["err_connect"] + d["err_read"] + d["err_write"] + d["err_status"] + d["err_timeout"]
    return Measurement(
        requests=d["requests"], seconds=d["duration_us"] / 1e6, errors=errors,
        p50_ms=d["p50_us"] / 1000, p90_ms=d["p90_us"] / 1000, p99_ms=d["p99_us"] / 1000,
        mean_ms=d["mean_us"] / 1000, bytes=d["bytes"],
    )

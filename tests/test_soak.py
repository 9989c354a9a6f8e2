"""The soak benchmark's short form (bench/soak.py, run as a program, as `make soak` runs it for 30 min).

8 clients, a mixed workload with runaways, oversized requests and writes, against a real server
on a private store: no unexpected status, no truncated 200, no stack trace, respawns equal kills,
every acknowledged write stored. Timing is reported, never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.liveserver import ROOT, writable_copy


def test_a_short_soak_has_no_unexpected_status_and_loses_no_write(built_store, tmp_path: Path) -> None:
    store = writable_copy(built_store.dir, tmp_path / "copy")
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--store", str(store), "--seconds", "25",
                           "--token", "soak-token", "--json", str(out)], capture_output=True, text=True, timeout=300)
    report = json.loads(out.read_text())
    assert done.returncode == 0, report["problems"]
    assert report["problem_count"] == 0
    kinds = report["by_kind"]
    assert kinds["runaway"]["n"] >= 1 and set(kinds["runaway"]["statuses"]) == {"503"}
    assert kinds["write"]["statuses"].get("204", 0) >= 1
    assert report["worker_respawns"] == report["workers_killed"] >= 1
    assert report["requests"] > 100

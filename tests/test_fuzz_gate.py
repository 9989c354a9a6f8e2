"""Coverage-guided fuzzing of the lexer, the safety gate, the bounded-query prover and the parse probe.

bench/fuzz_query_gate.py (atheris) under libFuzzer for 45 s with a fixed seed, from the seed corpus it
writes (the hostile tests' queries, the named queries, the benchmark's): it must end without a crash,
a broken invariant or a timeout (-timeout: a wrong bound proof that runs long). `make fuzz-gate` runs it
for 20 minutes. Bugs it found are pinned in tests/test_sparql_inline.py (IRIs pyoxigraph refuses).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_query_gate_survives_coverage_guided_fuzzing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fuzz_query_gate.py"), "-seed=20261204", "-max_total_time=45",
         "-timeout=10", "-max_len=2048", "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    log = done.stderr
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))
    assert done.returncode == 0 and not crashes, (crashes, log[-3000:])
    runs = int(log.rsplit("Done ", 1)[1].split(" runs")[0])
    assert runs > 1000, log[-1000:]
    assert len(list(corpus.iterdir())) > 50  # the seeds, and what coverage added to them

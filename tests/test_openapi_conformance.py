"""The whole OpenAPI document against the live service, with schemathesis (every check, bounded).

No 5xx, no response outside its declared statuses, media types or schema, no stack trace in any
body, and requests the schema allows are accepted (paging cursors aside: tests/support/st_hooks.py
says why). Deterministic generation: the same cases on every run. `make fuzz` runs it longer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.liveserver import ROOT, start_server

EXAMPLES = int(os.environ.get("CLAIMGRAPH_ST_EXAMPLES", "10"))


def test_the_service_keeps_every_promise_of_its_openapi_document(built_store, built_settings, tmp_path: Path) -> None:
    server = start_server(built_settings.store, tmp_path)
    try:
        # schemathesis's CLI, with a deeper recursion limit and one worker thread: on CPython 3.11
        # the ast module's recursion counter is shared by threads, so Hypothesis describing its
        # lambdas (ast.parse) in two threads at once fails with "AST constructor recursion depth
        # mismatch" (seen once in CI-like runs with --workers 2).
        launcher = ("import sys; sys.setrecursionlimit(20000); from schemathesis.cli import schemathesis; "
                    "sys.argv[0] = 'st'; sys.exit(schemathesis())")
        env = {**os.environ, "SCHEMATHESIS_HOOKS": "support.st_hooks",
               "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        done = subprocess.run([sys.executable, "-c", launcher, "run", f"{server.url}/openapi.json", "--checks", "all",
                               "-n", str(EXAMPLES), "--generation-deterministic", "--workers", "1",
                               "--phases", "examples,coverage,fuzzing"],
                              capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
        tail = done.stdout[-6000:]
        assert done.returncode == 0, tail
    finally:
        server.stop()

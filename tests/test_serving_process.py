"""How a serving process sets up its interpreter (serve/server.py): the cyclic collector kept off the
request path (set before uvicorn starts serving), but still collecting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = """
import gc, sys, weakref
from pathlib import Path
import uvicorn
from claimgraph.serve.server import serve_one
from claimgraph.config import Settings

ran = []
uvicorn.Server.run = lambda self, sockets=None: ran.append(gc.get_threshold())  # serve nothing
serve_one(Settings(store=Path(sys.argv[1])), None)  # the app is made, the collector set, then uvicorn runs
assert ran and ran[0][0] == 10_000, ran
assert gc.isenabled()
assert gc.get_threshold()[0] == 10_000, gc.get_threshold()
assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()  # the imports are out of the collector's sight

class Node:
    pass

a, b = Node(), Node()
a.other, b.other = b, a  # a cycle: only the collector frees it
alive = weakref.ref(a)
del a, b
junk = [[] for _ in range(30_000)]  # 30k new containers: past the threshold
assert alive() is None, "cyclic garbage was not collected"
print("ok")
"""


def test_the_collector_runs_rarely_and_still_frees_cycles(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path / "store")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

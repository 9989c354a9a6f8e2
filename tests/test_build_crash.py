"""A build killed at any point (kill -9) leaves the live store as it was, and never costs a version.

Real `claimgraph build` processes, killed with SIGKILL while they run: at random moments
(fixed seed), and exactly while the new version is being loaded.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claimgraph.build import build
from claimgraph.store.embedded import EmbeddedStore
from claimgraph.store.swap import PARTIAL, complete_versions, versions_dir


def start_build(store: Path, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store), "CLAIMGRAPH_REASONER": "none"}
    # --force: the data is the same each time, and a build with nothing to do keeps the live version.
    return subprocess.Popen([sys.executable, "-m", "claimgraph", "build", "--force"], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish_build(store: Path, cwd: Path) -> None:
    proc = start_build(store, cwd)
    assert proc.wait(600) == 0


def live_state(store: Path) -> tuple[str, int]:
    s = EmbeddedStore(store)
    try:
        return os.readlink(store), sum(s.triple_counts().values())
    finally:
        s.close()


def partials(store: Path) -> list[Path]:
    return [p for p in versions_dir(store).iterdir() if p.name.startswith(PARTIAL)]


@pytest.fixture()
def two_versions(tmp_path, settings_for):
    settings = settings_for(tmp_path, reasoner="none")
    build(settings)
    finish_build(settings.store, tmp_path)
    assert len(complete_versions(settings.store)) == 2
    return settings.store, tmp_path


def test_a_build_killed_while_loading_never_costs_the_version_live_before_it(two_versions):
    store, tmp = two_versions
    # Kill once the new version has files on disk: loading. A small build can finish between that
    # look and the kill (then it swapped in whole, which proves nothing here): try again, a few times.
    for _attempt in range(10):
        live_before = live_state(store)
        proc = start_build(store, tmp)
        deadline = time.time() + 300
        while time.time() < deadline:
            loading = [p for p in partials(store) if any(p.iterdir())]
            if loading or proc.poll() is not None:
                break
            time.sleep(0.002)
        else:
            pytest.fail("the build never started loading")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if partials(store):
            break
        assert live_state(store)[1] == live_before[1], "a build that finished holds the same triples"
    else:
        pytest.fail("no kill landed while the build was loading in 10 attempts")
    assert live_state(store) == live_before

    finish_build(store, tmp)
    assert not partials(store), "the next build removes what the killed one left"
    kept = [p.name for p in complete_versions(store)]
    assert Path(live_before[0]).name in kept, "the version live before the new build is kept"
    assert len(kept) == 2
    assert Path(os.readlink(store)).name in kept


def test_builds_killed_at_random_moments_leave_the_previous_store_served(two_versions):
    store, tmp = two_versions
    rng = random.Random(20261203)
    started = time.perf_counter()
    finish_build(store, tmp)
    duration = time.perf_counter() - started
    for _ in range(3):
        before = live_state(store)
        proc = start_build(store, tmp)
        time.sleep(rng.uniform(0.05, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = live_state(store)
        # Killed before the swap: the old store; after it: the complete new one. Never half.
        assert after == before or (after[0] != before[0] and after[1] == before[1])
        assert Path(after[0]).name in {p.name for p in complete_versions(store)}
    finish_build(store, tmp)
    assert not partials(store)
    assert len(complete_versions(store)) == 2
    assert live_state(store)[1] > 1000

"""Several serving processes on one socket (CLAIMGRAPH_PROCESSES, serve/prefork.py), over real HTTP.

Both processes must take connections, /metrics must add up every process's
queries, a killed process must be replaced while the other keeps answering,
SIGTERM must stop them all, and updates must not be offered to a
multi-process server.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support.liveserver import ROOT, LiveServer, free_port, start_server

ASK = "ASK { ?s ?p ?o }"


@pytest.fixture(scope="module")
def pair(built_store, built_settings, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("prefork")
    live = start_server(built_settings.store, tmp, env={"CLAIMGRAPH_PROCESSES": "2"})
    yield live
    live.stop()


def processes_answering(url: str, tries: int = 60) -> set[int]:
    """The pids behind fresh connections (each httpx.get opens its own)."""
    return {httpx.get(f"{url}/health", timeout=10).json()["process"] for _ in range(tries)}


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def queries_total(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(v) for v in re.findall(r'^claimgraph_queries_total\{outcome="[a-z]+"\} ([0-9.e+]+)$', text, re.M))


def test_both_processes_take_connections(pair: LiveServer) -> None:
    pids = processes_answering(pair.url)
    assert len(pids) == 2, pids
    assert pids <= set(children(pair.proc.pid))
    assert pair.proc.pid not in pids  # the parent only supervises


def test_metrics_add_up_every_process(pair: LiveServer) -> None:
    time.sleep(1.5)  # every process has shared its figures at least once
    before = queries_total(pair.url)
    sent = 40
    for i in range(sent):
        r = httpx.get(f"{pair.url}/sparql", params={"query": f"ASK {{ ?s ?p {i} }}"}, timeout=30)
        assert r.status_code == 200
    time.sleep(2.5)  # > the sharing interval, so the other process's file is current
    text = httpx.get(f"{pair.url}/metrics", timeout=10).text
    assert "claimgraph_serving_processes 2" in text
    assert queries_total(pair.url) - before == sent


def test_a_killed_process_is_replaced_and_the_other_keeps_answering(pair: LiveServer) -> None:
    victim = sorted(processes_answering(pair.url))[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.time() + 30
    answered = 0
    while time.time() < deadline:
        r = httpx.get(f"{pair.url}/sparql", params={"query": ASK}, timeout=10)
        assert r.status_code == 200 and r.json()["boolean"] is True
        answered += 1
        pids = set(children(pair.proc.pid))
        if len(pids) >= 2 and victim not in pids and len(processes_answering(pair.url, 20)) == 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"no replacement for process {victim} within 30 s")
    assert answered >= 1 and pair.alive()
    assert victim not in processes_answering(pair.url)


def test_sigterm_stops_every_process(built_store, built_settings, tmp_path: Path) -> None:  # noqa: ANN001
    live = start_server(built_settings.store, tmp_path, env={"CLAIMGRAPH_PROCESSES": "2"})
    kids = children(live.proc.pid)
    assert len(kids) == 2
    live.proc.send_signal(signal.SIGTERM)
    assert live.proc.wait(20) == 0
    for kid in kids:
        assert not Path(f"/proc/{kid}").exists() or "zombie" in Path(f"/proc/{kid}/status").read_text().lower()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{live.url}/health", timeout=2)


def test_updates_are_refused_with_several_processes(built_store, built_settings) -> None:  # noqa: ANN001
    env = {**os.environ, "CLAIMGRAPH_STORE": str(built_settings.store), "CLAIMGRAPH_PROCESSES": "2",
           "CLAIMGRAPH_UPDATE_TOKEN": "t0ken"}
    done = subprocess.run([sys.executable, "-m", "claimgraph", "serve", "--port", str(free_port())],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert "CLAIMGRAPH_PROCESSES" in done.stderr and "CLAIMGRAPH_UPDATE_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_flag_sets_the_process_count(built_store, built_settings, tmp_path: Path) -> None:  # noqa: ANN001
    port = free_port()
    env = {**os.environ, "CLAIMGRAPH_STORE": str(built_settings.store), "CLAIMGRAPH_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "claimgraph", "serve", "--port", str(port), "--processes", "3"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(children(proc.pid)) < 3:
            time.sleep(0.2)
        assert len(children(proc.pid)) == 3
    finally:
        proc.terminate()
        proc.wait(20)


def test_auto_is_one_process_per_core_and_one_with_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    from claimgraph.config import MAX_AUTO_PROCESSES, Settings

    monkeypatch.delenv("CLAIMGRAPH_PROCESSES", raising=False)
    monkeypatch.delenv("CLAIMGRAPH_UPDATE_TOKEN", raising=False)
    assert Settings().processes == 0
    assert Settings().serving_processes == max(1, min(os.cpu_count() or 1, MAX_AUTO_PROCESSES))
    assert Settings().with_overrides(update_token="t").serving_processes == 1
    monkeypatch.setenv("CLAIMGRAPH_PROCESSES", "3")
    assert Settings().serving_processes == 3
    monkeypatch.setenv("CLAIMGRAPH_PROCESSES", "many")
    with pytest.raises(SystemExit, match="CLAIMGRAPH_PROCESSES"):
        Settings()


def test_the_default_serves_with_every_core(built_store, built_settings, tmp_path: Path) -> None:  # noqa: ANN001
    live = start_server(built_settings.store, tmp_path, env={"CLAIMGRAPH_PROCESSES": "auto"})
    try:
        expected = max(1, min(os.cpu_count() or 1, 4))
        assert len(children(live.proc.pid)) == expected or expected == 1
        assert len(processes_answering(live.url)) == expected
    finally:
        live.stop()


def test_histograms_stay_cumulative_when_processes_are_added_up() -> None:
    from claimgraph.sparql.metrics import BUCKETS, Metrics

    one, two = Metrics(), Metrics()
    for seconds in (0.0005, 0.001, 0.003, 40.0):
        one.observe("q_seconds", seconds)
    two.observe("q_seconds", 0.002)
    two.inc("q_total", outcome="ok")
    text = one.merged([two.snapshot()]).render()
    buckets = [int(v) for v in re.findall(r'^q_seconds_bucket\{le="[^"]+"\} (\d+)$', text, re.M)]
    assert len(buckets) == len(BUCKETS) + 1
    assert buckets == sorted(buckets)  # cumulative, never decreasing
    le = dict(re.findall(r'^q_seconds_bucket\{le="([^"]+)"\} (\d+)$', text, re.M))
    assert (le["0.001"], le["0.0025"], le["0.005"], le["30"], le["+Inf"]) == ("2", "3", "4", "4", "5")
    assert 'q_total{outcome="ok"} 1' in text and "q_seconds_count 5" in text


def test_a_taken_port_is_a_clear_error(built_store, built_settings) -> None:  # noqa: ANN001
    import socket as socketlib

    taken = socketlib.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        env = {**os.environ, "CLAIMGRAPH_STORE": str(built_settings.store), "CLAIMGRAPH_PROCESSES": "2"}
        done = subprocess.run([sys.executable, "-m", "claimgraph", "serve", "--port", str(port)],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    finally:
        taken.close()
    assert done.returncode == 1
    assert f"127.0.0.1:{port}" in done.stderr and "in use" in done.stderr.lower()
    assert "Traceback" not in done.stderr


def counter_value(text: str, name: str) -> float:
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


def test_counters_are_counters_and_never_go_backwards_when_a_process_dies(pair: LiveServer) -> None:
    time.sleep(1.5)
    for i in range(30):  # never-repeated queries: each a cache miss in whichever process takes it
        assert httpx.get(f"{pair.url}/sparql", params={"query": f"ASK {{ ?s ?p {1000 + i} }}"},
                         timeout=30).status_code == 200
    time.sleep(2.5)  # > the sharing interval
    text = httpx.get(f"{pair.url}/metrics", timeout=10).text
    for name in ("claimgraph_cache_misses", "claimgraph_worker_respawns_total"):
        assert f"# TYPE {name} counter" in text
        assert f"# TYPE {name} gauge" not in text
    assert "# TYPE claimgraph_workers_busy gauge" in text
    before = counter_value(text, "claimgraph_cache_misses")
    assert before >= 30
    os.kill(sorted(processes_answering(pair.url))[0], signal.SIGKILL)
    time.sleep(3)
    after = counter_value(httpx.get(f"{pair.url}/metrics", timeout=10).text, "claimgraph_cache_misses")
    assert after >= before

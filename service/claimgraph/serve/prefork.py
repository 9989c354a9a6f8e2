"""Several serving processes on one listening socket (CLAIMGRAPH_PROCESSES > 1).

One Python process tops out at one core: its event loop, HTTP parsing and
the gate hold the GIL, and on a never-repeated point lookup that is where
the time goes. Forked copies of the whole server (each with
its own app, caches and query workers) accept from the same socket, so a
read-heavy deployment uses every core, the way `oxigraph serve` does with
threads.

Updates stay single-process: the store has one writer, and a write in one
process must be seen by the next read in any other, which per-process
snapshots cannot promise. So more than one process is refused while an
update token is configured.

The parent only supervises: it forwards SIGINT/SIGTERM, and respawns a child
that died without being asked to (one crash must not halve the service).
/metrics adds up every process's figures (serve/shared_metrics.py): counters of a
child that died still count, its gauges no longer do.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Callable

from ..config import Settings

RESPAWN_PAUSE_S = 0.5  # a child that dies at once (bad config) must not spin the parent


def refusal(settings: Settings) -> str | None:
    """Why these settings cannot run in several processes, or None."""
    if settings.processes < 0:
        return f"CLAIMGRAPH_PROCESSES must be a positive number or auto, got {settings.processes}"
    if settings.processes > 1 and settings.update_token:
        return ("CLAIMGRAPH_PROCESSES > 1 serves read-only: updates need a single writer process. "
                "Unset CLAIMGRAPH_UPDATE_TOKEN or set CLAIMGRAPH_PROCESSES=1")
    return None


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run(settings: Settings, serve_one: Callable[[Settings, socket.socket], int]) -> int:
    """Fork `settings.serving_processes` children that each run `serve_one` on a shared socket; supervise them."""
    try:
        sock = listen(settings.host, settings.port)
    except OSError as exc:
        print(f"claimgraph: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    shared = tempfile.mkdtemp(prefix="claimgraph-metrics-")
    child_settings = settings.with_overrides(metrics_dir=shared)
    children: dict[int, int] = {}
    stopping = False

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            code = 1
            try:
                code = serve_one(child_settings, sock)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = slot

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for slot in range(settings.serving_processes):
            spawn(slot)
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            slot = children.pop(pid, None)
            if slot is None or stopping:
                continue
            print(f"claimgraph: serving process {pid} ended ({_describe(status)}); starting another",
                  file=sys.stderr)
            time.sleep(RESPAWN_PAUSE_S)
            if not stopping:
                spawn(slot)
    finally:
        sock.close()
        shutil.rmtree(shared, ignore_errors=True)
    return 0


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit {os.waitstatus_to_exitcode(status)}"

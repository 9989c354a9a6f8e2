"""Whether a process still runs, by pid: used to tell a running build's or server's leftovers from a dead one's."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while `pid` runs (or exists under another user), False once it is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

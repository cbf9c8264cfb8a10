"""Who drives a run: an owner is `host:pid:instance`, and whether that owner still lives."""

from __future__ import annotations

import os
import socket

__all__ = ["owner_alive"]


def owner_alive(owner: str | None, me: str, same_process: bool = False) -> bool:
    """Whether the run's `owner` still drives it, as far as this process (`me`) can tell.

    Another live worker process on this host still drives its own runs. At startup an owner
    in this very process is an earlier app instance, gone (same_process=False). An owner on
    another host (gateways sharing one PostgreSQL) cannot be checked from here: it is taken
    as alive, so that a starting instance never fails the runs another one is executing,
    and a cancel is asked of it through the database.
    """
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if not pid_text.isdigit():
        return False
    if host != socket.gethostname():
        return True
    if int(pid_text) == os.getpid():
        return same_process and owner != me
    try:
        os.kill(int(pid_text), 0)
    except OSError:
        return False
    return True

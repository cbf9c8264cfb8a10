"""`aia dev`: the project's files served directly by the gateway, reloaded on change.

Reload *is* plan + apply: the compiler turns the files into a desired state, the
planner diffs it against the gateway's own store, and `sync` applies the plan
in-process, in one transaction.
"""

from aiagentics.gateway.reload.reloader import DevReloader, ReloadOutcome
from aiagentics.gateway.reload.sync import DEV_SOURCE_KEY, stable_id, sync_state

__all__ = ["DEV_SOURCE_KEY", "DevReloader", "ReloadOutcome", "stable_id", "sync_state"]

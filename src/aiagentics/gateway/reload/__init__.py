"""`aia dev`: the project's files served directly by the gateway, reloaded on change.

Reload *is* plan + apply: the compiler turns the files into a desired state, the
planner diffs it against the gateway's own store, and the apply engine carries the
plan out in-process (`LocalTarget`), in one transaction.
"""

from aiagentics.engine.definitions import DEV_SOURCE_KEY, stable_id
from aiagentics.gateway.reload.local_apply import LocalApply, apply_files
from aiagentics.gateway.reload.local_target import LocalTarget
from aiagentics.gateway.reload.reloader import DevReloader, ReloadOutcome

__all__ = [
    "DEV_SOURCE_KEY",
    "DevReloader",
    "LocalApply",
    "LocalTarget",
    "ReloadOutcome",
    "apply_files",
    "stable_id",
]

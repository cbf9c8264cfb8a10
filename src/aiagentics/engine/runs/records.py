"""The run as stored (`RunRecord`, `RunState`, the statuses): plain data kept in storage."""

from aiagentics.storage.records import ACTIVE, STATUSES, TERMINAL, RunRecord, RunState

__all__ = ["ACTIVE", "STATUSES", "TERMINAL", "RunRecord", "RunState"]

"""One apply engine with two targets.

`engine` carries a plan out against an `ApplyTarget` and reports through `ApplyHooks`;
`steps` turns a plan into steps (the kinds in `StepKind`); `report` renders the result
for `aia apply --json`; `remote.RemoteTarget` works over the API client (imported from
there, so that the in-process target never loads the HTTP client).
"""

from aiagentics.apply.engine import (
    ApplyHooks,
    ApplyInterrupted,
    ApplyRefused,
    ApplyResult,
    ApplyRun,
    ApplyTarget,
    Created,
    CreateRequest,
    Done,
    StalePlan,
    StepError,
    check_saved,
    check_saved_target,
)
from aiagentics.apply.steps import ReplaceOrder, Step, StepKind, plan_steps

__all__ = [
    "ApplyHooks",
    "ApplyInterrupted",
    "ApplyRefused",
    "ApplyResult",
    "ApplyRun",
    "ApplyTarget",
    "CreateRequest",
    "Created",
    "Done",
    "ReplaceOrder",
    "StalePlan",
    "Step",
    "StepError",
    "StepKind",
    "check_saved",
    "check_saved_target",
    "plan_steps",
]

"""The planner: desired state vs what the API reports -> a Plan of Actions (pure).

No network, no printing: `apply` carries a plan out through the client, the
CLI renders it (`render.plan_to_json`, `render.plan_lines`).
"""

from aiagentics.plan.model import (
    CONTENT_HASH_KEY,
    HASH_KEY,
    OWNER_KEY,
    PROTECT_KEY,
    SOURCE_KEY,
    Action,
    ActionType,
    FieldChange,
    Plan,
    Problem,
    Summary,
)
from aiagentics.plan.planfile import PlanFileError, SavedPlan, dump_plan, load_plan, save_plan
from aiagentics.plan.planner import (
    RemoteState,
    desired_metadata,
    is_protected,
    make_plan,
    owner_of,
    remote_name,
    state_hash,
)
from aiagentics.plan.refs import REF_FIELDS, map_refs
from aiagentics.plan.render import FORMAT_VERSION, Line, plan_lines, plan_text, plan_to_json

__all__ = [
    "CONTENT_HASH_KEY",
    "FORMAT_VERSION",
    "HASH_KEY",
    "OWNER_KEY",
    "PROTECT_KEY",
    "REF_FIELDS",
    "SOURCE_KEY",
    "Action",
    "ActionType",
    "FieldChange",
    "Line",
    "Plan",
    "PlanFileError",
    "Problem",
    "RemoteState",
    "SavedPlan",
    "Summary",
    "desired_metadata",
    "dump_plan",
    "is_protected",
    "load_plan",
    "make_plan",
    "map_refs",
    "owner_of",
    "plan_lines",
    "plan_text",
    "plan_to_json",
    "remote_name",
    "save_plan",
    "state_hash",
]

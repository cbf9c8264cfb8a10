"""The apply report: what `aia apply --json` prints (format in `aiagentics.plan.render`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiagentics.apply.engine import ApplyResult, Done
from aiagentics.apply.steps import Step, StepKind, plan_steps
from aiagentics.plan import Action, ActionType, Plan
from aiagentics.plan.render import FORMAT_VERSION, action_to_json

# How the report names the old half of a replace (a documented part of the format).
REPLACED_REASON = "the replaced object"


def step_action(step: Step) -> Action:
    """The action a step reports as: the old half of a replace is a delete of that object."""
    if step.kind is StepKind.DELETE_REPLACED:
        return dataclasses.replace(
            step.action, type=ActionType.DELETE, reason=REPLACED_REASON, changes=()
        )
    return step.action


def step_to_json(step: Step) -> dict[str, Any]:
    """One step as a report entry (shaped like a plan action)."""
    return action_to_json(step_action(step))


def error_to_json(error: Exception | None) -> dict[str, Any] | None:
    """A step's error as the API's error object."""
    if error is None:
        return None
    to_dict = getattr(error, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {
        "status": 0,
        "type": "api_error",
        "code": None,
        "message": str(error),
        "param": None,
        "request_id": None,
    }


def result_to_json(
    plan: Plan, result: ApplyResult | None, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The report of an apply of `plan`; `result` None: refused before any change."""
    if result is None:
        status = "refused" if error or plan.problems else "no_changes"
        not_done = plan_steps(plan) if status == "refused" else []
        result = ApplyResult(not_done=not_done)
    elif result.stopped:
        status = "interrupted"
    elif result.failed is not None:
        status = "failed"
    else:
        status = "applied" if result.done else "no_changes"
    failed = None
    if result.failed is not None:
        failed = {**step_to_json(result.failed), "error": error_to_json(result.error)}
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "env": plan.env,
        "status": status,
        "done": [_done_to_json(d) for d in result.done],
        "failed": failed,
        "interrupted": step_to_json(result.interrupted) if result.interrupted else None,
        "not_done": [step_to_json(s) for s in result.not_done],
        "problems": [
            {"code": p.code, "address": p.address, "message": p.message, "remote_id": p.remote_id}
            for p in plan.problems
        ],
        "error": error,
    }


def _done_to_json(done: Done) -> dict[str, Any]:
    out = {**step_to_json(done.step), "remote_id": done.remote_id}
    if done.secret is not None:
        out["secret"] = done.secret  # shown once: the API never returns it again
    return out

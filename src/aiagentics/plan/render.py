"""A plan as data for people and pipelines: JSON (versioned) and styled text lines.

JSON format (`format_version` "1"), what `aia plan --json` prints and a PR bot posts:

    {
      "format_version": "1",
      "project": "payments-support", "env": null,
      "changes": true,                       # false when there is nothing to do
      "summary": {"create": 1, "update": 1, "delete": 0, "replace": 0, "no_op": 3,
                  "text": "1 to create, 1 to update, 0 to delete"},
      "actions": [                           # in apply order; no-ops left out
        {"action": "create" | "update" | "delete" | "replace",
         "address": "Agent/support", "kind": "Agent", "name": "support",
         "id": "agt_…" | null, "source": "agents/support.yaml:1" | null,
         "reason": "type cannot change in place" | "",
         "changes": [{"path": "guardrails.max_steps", "before": 10, "after": 12,
                      "sensitive": false, "forces_replace": false,
                      "diff": ["@@ -1 +1 @@", "-old", "+new"], "note": ""}]}
      ],
      "problems": [{"code": "conflict" | "protected", "address": "Tool/x",
                    "message": "…", "remote_id": "tool_…"}]
    }

References are by name; sensitive values are the string "(sensitive)": a value
that is sensitive on either side (from ${ENV} in the files, a declared secret field
such as tool headers, or write-only at the API) is never shown. A change of which
fields are write-only is the change `sensitive_fields` (lists of paths). New
fields may be added within a format version; removing or changing one bumps it.

`aia apply --json` prints a report in the same format version (built by
`aiagentics.apply.report.result_to_json`); actions are shaped as above:

    {
      "format_version": "1", "project": "payments-support", "env": null,
      "status": "applied" | "no_changes" | "failed" | "interrupted" | "refused",
      "done": [{...action, "remote_id": "tool_…" | null}],   # in the order carried out
      "failed": {...action, "error": {"status": 400, "type", "code", "message",
                                      "param", "request_id"}} | null,
      "interrupted": {...action} | null,     # in flight at Ctrl-C: may or may not have happened
      "not_done": [{...action}],             # everything when refused before any change
      "problems": [...as in the plan],
      "error": {"type": "apply_refused", "code", "message"} | null
    }

Exit code 0 for applied / no_changes, 1 otherwise. A deleted replaced object appears
as a `delete` action with reason "the replaced object". A created webhook whose file sets
no `secret` has `"secret": "whsec_…"` in its `done` entry: the signing secret the API
generated, shown only there (the API never returns it again).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiagentics.plan.model import Action, ActionType, FieldChange, Plan, Problem

FORMAT_VERSION = "1"


def change_to_json(change: FieldChange) -> dict[str, Any]:
    """One field change as JSON."""
    return {
        "path": change.path,
        "before": change.before,
        "after": change.after,
        "sensitive": change.sensitive,
        "forces_replace": change.forces_replace,
        "diff": list(change.diff),
        "note": change.note,
    }


def action_to_json(action: Action) -> dict[str, Any]:
    """One action as JSON."""
    return {
        "action": action.type.value,
        "address": action.address,
        "kind": action.kind,
        "name": action.name,
        "id": action.id,
        "source": action.source,
        "reason": action.reason,
        "changes": [change_to_json(c) for c in action.changes],
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan in the versioned JSON format described above."""
    s = plan.summary
    return {
        "format_version": FORMAT_VERSION,
        "project": plan.project,
        "env": plan.env,
        "changes": plan.has_changes,
        "summary": {
            "create": s.create,
            "update": s.update,
            "delete": s.delete,
            "replace": s.replace,
            "no_op": s.no_op,
            "text": s.line(),
        },
        "actions": [action_to_json(a) for a in plan.changes],
        "problems": [
            {"code": p.code, "address": p.address, "message": p.message, "remote_id": p.remote_id}
            for p in plan.problems
        ],
    }


def plan_from_json(data: dict[str, Any]) -> Plan:
    """Rebuild a Plan (display data only) from its JSON form."""
    actions = tuple(
        Action(
            ActionType(a["action"]),
            a["kind"],
            a["name"],
            id=a.get("id"),
            source=a.get("source"),
            reason=a.get("reason", ""),
            changes=tuple(
                FieldChange(
                    c["path"],
                    c.get("before"),
                    c.get("after"),
                    sensitive=c.get("sensitive", False),
                    diff=tuple(c.get("diff", ())),
                    forces_replace=c.get("forces_replace", False),
                    note=c.get("note", ""),
                )
                for c in a.get("changes", [])
            ),
        )
        for a in data["actions"]
    )
    problems = tuple(
        Problem(p["code"], p["address"], p["message"], p.get("remote_id"))
        for p in data.get("problems", [])
    )
    return Plan(data["project"], data.get("env"), actions, problems)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the human view; `style` names its role (the CLI maps roles to colours)."""

    style: str  # create | update | delete | replace | header | field | diff+ | diff- | diff@ | note | problem
    text: str


def _value(value: Any) -> str:
    if isinstance(value, str):
        if "\n" in value:
            first = value.splitlines()[0] if value.strip() else ""
            return (
                json.dumps(first[:60] + ("…" if len(first) > 60 else ""))
                + f" (+{value.count(chr(10))} lines)"
            )
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, default=str)


def _change_lines(action: Action, change: FieldChange, indent: str) -> list[Line]:
    style = {ActionType.CREATE: "create", ActionType.DELETE: "delete"}.get(action.type, "update")
    tail = "  # forces replacement" if change.forces_replace else ""
    note = f"  # {change.note}" if change.note and not change.forces_replace else ""
    if change.note and change.before == change.after:
        return [Line("field", f"{indent}~ {change.path} = {_value(change.after)}  # {change.note}")]
    if change.note == "sha256":
        before, after = (str(v)[:12] if v else v for v in (change.before, change.after))
        return [Line("field", f"{indent}~ {change.path}: sha256 {before} -> {after}{tail}")]
    if action.type is ActionType.CREATE:
        if change.diff or (isinstance(change.after, str) and "\n" in change.after):
            out = [Line("field", f"{indent}+ {change.path} = <<EOT")]
            out += [Line("diff+", f"{indent}    {t}") for t in str(change.after).splitlines()]
            return [*out, Line("field", f"{indent}  EOT")]
        return [Line("field", f"{indent}+ {change.path} = {_value(change.after)}")]
    if change.diff:
        out = [Line("field", f"{indent}~ {change.path}:{tail}")]
        for d in change.diff:
            role = (
                "diff@"
                if d.startswith("@@")
                else "diff+"
                if d.startswith("+")
                else "diff-"
                if d.startswith("-")
                else "field"
            )
            out.append(Line(role, f"{indent}    {d}"))
        return out
    if change.after is None:
        return [Line(style, f"{indent}- {change.path} = {_value(change.before)}{tail}{note}")]
    if change.before is None:
        return [Line(style, f"{indent}+ {change.path} = {_value(change.after)}{tail}{note}")]
    return [
        Line(
            "field",
            f"{indent}~ {change.path}: {_value(change.before)} -> {_value(change.after)}{tail}{note}",
        )
    ]


def plan_lines(plan: Plan) -> list[Line]:
    """The human view: one block per action (+ ~ - -/+), field changes, problems, the summary."""
    lines: list[Line] = []
    for action in plan.changes:
        style = action.type.value
        where = f"  ({action.source})" if action.source else ""
        ident = f" [{action.id}]" if action.id else ""
        head = f"{action.type.symbol} {action.address}{ident}{where}"
        if action.reason:
            head += f"  # {action.reason}"
        lines.append(Line(style, head))
        if action.type is not ActionType.DELETE:
            for change in action.changes:
                lines += _change_lines(action, change, "    ")
        lines.append(Line("note", ""))
    for problem in plan.problems:
        lines.append(Line("problem", f"error: {problem.message}"))
    if not plan.has_changes:
        lines.append(Line("header", "No changes. The API matches the files."))
    else:
        lines.append(Line("header", f"Plan: {plan.summary.line()}."))
    return lines


def plan_text(plan: Plan) -> str:
    """The human view as plain text."""
    return "\n".join(line.text for line in plan_lines(plan))

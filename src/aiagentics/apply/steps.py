"""The steps an apply carries out: a plan's changes, each replace split into its two halves.

A plan says *what* changes (create, update, delete, replace); a step is one thing a
target does. A replace is two steps, in the order the target needs (Terraform's
CreateThenDelete and DeleteThenCreate): over the API names are unique and a used
object cannot be deleted, so the successor comes first and the old object goes at
the very end; a target that keeps ids stable across a replace must remove the old
object before its successor can take the id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from aiagentics.plan import Action, ActionType, Plan


class StepKind(StrEnum):
    """What one step does to one object."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CREATE_REPLACEMENT = "create-replacement"  # the new object of a replace
    DELETE_REPLACED = "delete-replaced"  # the old object of a replace

    @property
    def is_delete(self) -> bool:
        return self in (StepKind.DELETE, StepKind.DELETE_REPLACED)


class ReplaceOrder(StrEnum):
    """Which half of a replace a target needs first."""

    CREATE_THEN_DELETE = "create-then-delete"
    DELETE_THEN_CREATE = "delete-then-create"


_PLAIN = {
    ActionType.CREATE: StepKind.CREATE,
    ActionType.UPDATE: StepKind.UPDATE,
    ActionType.DELETE: StepKind.DELETE,
}


@dataclass(frozen=True, slots=True)
class Step:
    """Step `index` of `total`: `kind` done to the object of the plan's `action`."""

    kind: StepKind
    action: Action
    index: int
    total: int

    @property
    def address(self) -> str:
        return self.action.address

    @property
    def symbol(self) -> str:
        """The plan's symbol for what this step does (`-` for a replaced object going)."""
        if self.kind is StepKind.DELETE_REPLACED:
            return ActionType.DELETE.symbol
        return self.action.type.symbol


def plan_steps(plan: Plan, order: ReplaceOrder = ReplaceOrder.CREATE_THEN_DELETE) -> list[Step]:
    """The plan's changes (already in apply order) as steps, replaces split per `order`."""
    kinds: list[tuple[StepKind, Action]] = []
    last: list[tuple[StepKind, Action]] = []
    for action in plan.changes:
        if action.type is not ActionType.REPLACE:
            kinds.append((_PLAIN[action.type], action))
        elif order is ReplaceOrder.CREATE_THEN_DELETE:
            kinds.append((StepKind.CREATE_REPLACEMENT, action))
            # Deleted once everything that used it points at its successor.
            last.append((StepKind.DELETE_REPLACED, action))
        else:
            kinds.append((StepKind.DELETE_REPLACED, action))
            kinds.append((StepKind.CREATE_REPLACEMENT, action))
    kinds += last
    return [Step(kind, action, i, len(kinds)) for i, (kind, action) in enumerate(kinds)]


def aside_name(name: str, remote_id: str) -> str:
    """The name a replaced object takes while its successor is created (valid, unique)."""
    return f"{name[:40]}-replaced-{hashlib.sha256(remote_id.encode()).hexdigest()[:8]}"

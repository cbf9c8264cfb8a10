"""A plan is data: a list of actions, each with its field changes (Terraform's plans.Changes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Ownership labels written into `metadata` of every resource `aia apply` creates.
OWNER_KEY = "aia.project"
SOURCE_KEY = "aia.source"
HASH_KEY = "aia.spec_hash"
CONTENT_HASH_KEY = "aia.content_hash"  # sha256 of a File's bytes: upload only when it changes
PROTECT_KEY = "aia.protect"
LABEL_KEYS = (OWNER_KEY, SOURCE_KEY, HASH_KEY, CONTENT_HASH_KEY, PROTECT_KEY)

SENSITIVE = "(sensitive)"


class ActionType(StrEnum):
    """What apply does to one resource."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"  # delete, then create: a field cannot change in place
    NO_OP = "no-op"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "no-op": " "}[
            self.value
        ]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field, at a dotted path of the body; values are display-safe.

    `before`/`after` hold `(sensitive)` in place of secret values; refs are by
    name. `diff` holds unified-diff lines for long text (instructions).
    `forces_replace` marks a field that cannot change in place.
    """

    path: str
    before: Any = None
    after: Any = None
    sensitive: bool = False
    diff: tuple[str, ...] = ()
    forces_replace: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """One resource's planned change."""

    type: ActionType
    kind: str
    name: str
    id: str | None = None  # the remote object's id (None for a create)
    source: str | None = None  # file:line of the declaration
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a plan cannot be applied: an unowned name (`conflict`) or a protected delete."""

    code: str  # "conflict" | "protected"
    address: str
    message: str
    remote_id: str | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts; a replace counts once in `create` and once in `delete` (and in `replace`)."""

    create: int
    update: int
    delete: int
    replace: int
    no_op: int

    @property
    def changes(self) -> bool:
        return bool(self.create or self.update or self.delete)

    def line(self) -> str:
        text = f"{self.create} to create, {self.update} to update, {self.delete} to delete"
        if self.replace:
            text += f" ({self.replace} replaced: counted in create and delete)"
        return text


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything apply needs to check before acting, and everything a reviewer reads.

    `remote` maps each remote object the plan looked at (owned, or holding a
    planned name) to a marker of its state; `state_hash` fingerprints the
    compiled files. A saved plan is applied only while both still match.
    """

    project: str
    env: str | None
    actions: tuple[Action, ...]
    problems: tuple[Problem, ...] = ()
    state_hash: str = ""
    remote: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.type is not ActionType.NO_OP)

    @property
    def summary(self) -> Summary:
        count = {t: 0 for t in ActionType}
        for action in self.actions:
            count[action.type] += 1
        replace = count[ActionType.REPLACE]
        return Summary(
            create=count[ActionType.CREATE] + replace,
            update=count[ActionType.UPDATE],
            delete=count[ActionType.DELETE] + replace,
            replace=replace,
            no_op=count[ActionType.NO_OP],
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

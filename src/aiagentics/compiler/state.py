"""The desired state: what the compiler hands to the planner and the dev server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Kinds in the order they must exist: what an agent references comes first.
from aiagentics.kinds import APPLY_ORDER as APPLY_ORDER


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a resource was declared: file (relative to the project root), line, column (1-based)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class CompiledResource:
    """One resource, ready to be sent to the API.

    `body` is the API's create/update body (spec fields, `name`, `description`,
    `metadata`) with references still given by *name* (`tools: ["refund"]`);
    whoever applies it maps names to ids. `sensitive` lists the dotted paths
    in `body` whose values came from `${ENV}` and must never be printed.
    """

    kind: str
    name: str
    body: dict[str, Any]
    source: SourceRef
    spec_hash: str
    refs: tuple[str, ...] = ()  # addresses ("Tool/refund") this resource depends on
    sensitive: frozenset[str] = frozenset()
    protect: bool = False

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, slots=True)
class DesiredState:
    """Every resource of a project, in dependency order (APPLY_ORDER, then name)."""

    project: str
    env: str | None
    resources: tuple[CompiledResource, ...] = ()
    by_address: dict[str, CompiledResource] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[CompiledResource]:
        return [r for r in self.resources if r.kind == kind]

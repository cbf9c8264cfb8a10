"""The table of definition kinds: everything that tells an agent from a tool, once.

A kind is named two ways: its spec kind as written in the YAML files (`Memory`) and its
stored kind as the API and storage name it (`memory_store`). Both, with the API path,
the id prefix, the apply order, the reference fields and whether updates keep versions,
come from `TABLE`; the other modules derive their lookups from it. A leaf: it imports
nothing of the project, so the pure core may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

StoreKind = Literal["agent", "tool", "memory_store", "webhook", "file"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A body field holding references to another kind (`path` is dotted when nested)."""

    path: str
    spec_kind: str


@dataclass(frozen=True, slots=True)
class KindInfo:
    """One definition kind."""

    spec_kind: str  # as in the YAML files: Agent, Tool, Memory, Webhook, File
    kind: StoreKind  # as the API objects and storage name it
    path: str  # collection under /v1
    prefix: str  # of its ids: agt_...
    # Updates keep the older versions readable (GET .../versions).
    versioned: bool = False
    references: tuple[Reference, ...] = ()

    @property
    def what(self) -> str:
        """The kind in words (`memory store`), for messages."""
        return self.kind.replace("_", " ")


# In apply order: a kind comes after every kind it references.
TABLE: tuple[KindInfo, ...] = (
    KindInfo("File", "file", "files", "file"),
    KindInfo(
        "Memory",
        "memory_store",
        "memory_stores",
        "mem",
        references=(Reference("vector.files", "File"),),
    ),
    KindInfo("Tool", "tool", "tools", "tool", versioned=True),
    KindInfo("Webhook", "webhook", "webhooks", "whk"),
    KindInfo(
        "Agent",
        "agent",
        "agents",
        "agt",
        versioned=True,
        references=(
            Reference("tools", "Tool"),
            Reference("memory", "Memory"),
            Reference("files", "File"),
        ),
    ),
)

BY_SPEC_KIND: dict[str, KindInfo] = {k.spec_kind: k for k in TABLE}
BY_KIND: dict[str, KindInfo] = {k.kind: k for k in TABLE}

# Spec kinds in the order an apply creates them (the reverse deletes them).
APPLY_ORDER: tuple[str, ...] = tuple(k.spec_kind for k in TABLE)
SPEC_KINDS: tuple[str, ...] = ("Agent", "Tool", "Memory", "Webhook", "File")
STORE_KINDS: tuple[StoreKind, ...] = ("agent", "tool", "memory_store", "webhook", "file")
VERSIONED: frozenset[str] = frozenset(k.kind for k in TABLE if k.versioned)
SPEC_KIND: dict[str, str] = {k.kind: k.spec_kind for k in TABLE}
STORE_KIND: dict[str, StoreKind] = {k.spec_kind: k.kind for k in TABLE}
# Spec kind -> dotted body path -> the spec kind it references.
REF_FIELDS: dict[str, dict[str, str]] = {
    k.spec_kind: {r.path: r.spec_kind for r in k.references} for k in TABLE if k.references
}


def referrers(spec_kind: str) -> tuple[tuple[KindInfo, str], ...]:
    """(kind, dotted field) pairs of the kinds that may reference `spec_kind`."""
    # Agents first: the kind most often in the way of a delete is named first.
    return tuple(
        (k, r.path) for k in reversed(TABLE) for r in k.references if r.spec_kind == spec_kind
    )

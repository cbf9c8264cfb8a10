"""YAML nodes -> plain data, refusing what YAML allows but a spec must not hold.

Duplicate keys, alias bombs, recursive aliases, non-string keys and custom
tags become diagnostics; everything else becomes dict / list / str / int /
float / bool / None, faster than PyYAML's generic constructor. Scalars follow
YAML 1.2 where 1.1 surprises people: only `true`/`false` are booleans (`no`,
`on`, `y` are text) and `9:30` is text, not the base-60 number 570.
"""

from __future__ import annotations

from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aiagentics.spec.diagnostics import Diagnostic

MAX_ALIAS_EXPANSION = 100_000  # nodes reached again through aliases, per document

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SAFE = SafeConstructor()  # only for YAML 1.1's rarer int/float spellings (0x1f, 1_000, .inf)


class Refused(Exception):
    """The whole document is refused (alias bomb, recursive alias); carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


class Builder:
    """Nodes -> plain data (dict / list / str / int / float / bool / None)."""

    __slots__ = ("aliases", "diagnostics", "expanded", "file", "has_env", "seen", "stack")

    def __init__(self, file: str, *, aliases: bool) -> None:
        self.file = file
        self.aliases = aliases  # the text has an anchor: count what aliases expand to
        self.diagnostics: list[Diagnostic] = []
        self.has_env = False
        self.expanded = 0
        self.seen: set[int] = set()
        self.stack: set[int] = set()

    def build(self, node: Node) -> Any:
        """The plain value of `node` (diagnostics collect in `self.diagnostics`)."""
        # exact-class checks, cheaper than isinstance: the composer builds only these classes
        if node.__class__ is ScalarNode:
            if node.tag == _STR:
                value = node.value
                if "${" in value:
                    self.has_env = True
                return value
            return self._scalar(node)
        if self.aliases:
            return self._build_counted(node)
        if node.__class__ is MappingNode:
            return self._mapping(node)
        if node.__class__ is SequenceNode:
            if node.tag != _SEQ:
                self._unsupported(node)
            build = self.build
            return [build(item) for item in node.value]
        raise Refused(self._at(node, "unsupported-yaml", "unsupported YAML node"))

    def _build_counted(self, node: Node) -> Any:
        ident = id(node)
        if ident in self.stack:
            raise Refused(self._at(node, "recursive-alias", "a YAML alias refers to itself"))
        if ident in self.seen:
            self.expanded += 1 + len(node.value)
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise Refused(
                    self._at(
                        node,
                        "alias-bomb",
                        f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes; "
                        "refusing the document (an alias bomb?)",
                    )
                )
        self.seen.add(ident)
        self.stack.add(ident)
        try:
            if node.__class__ is MappingNode:
                return self._mapping(node)
            if node.tag != _SEQ:
                self._unsupported(node)
            return [self.build(item) for item in node.value]
        finally:
            self.stack.discard(ident)

    def _mapping(self, node: MappingNode) -> dict[str, Any]:
        if node.tag != _MAP:
            self._unsupported(node)
        out: dict[str, Any] = {}
        merges: list[Any] = []
        build = self.build
        for knode, vnode in node.value:
            if knode.__class__ is not ScalarNode:
                self.diagnostics.append(
                    self._at(knode, "invalid-key", "mapping keys must be plain strings")
                )
                continue
            if knode.tag == _MERGE:
                merged = build(vnode)
                merges.extend(merged if isinstance(merged, list) else [merged])
                continue
            key = knode.value
            if key in out:
                first = _first_key(node, key)
                self.diagnostics.append(
                    self._at(
                        knode,
                        "duplicate-key",
                        f"duplicate key '{key}' (first at line {first.start_mark.line + 1})",
                        hint="a key may appear once per mapping; remove one of them",
                    )
                )
            out[key] = build(vnode)
        for merged in merges:
            if isinstance(merged, dict):
                for key, value in merged.items():
                    out.setdefault(key, value)
            else:
                self.diagnostics.append(
                    self._at(node, "invalid-merge", "`<<` merges only mappings")
                )
        return out

    def _scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == NULL_TAG:
            return None
        if tag == _BOOL:
            # YAML 1.2: only true/false; `no`, `on`, `y` stay text (country: no is not False)
            lowered = value.lower()
            return lowered == "true" if lowered in ("true", "false") else value
        if tag == _INT:
            try:
                return int(value)
            except ValueError:
                if ":" in value:
                    return value  # YAML 1.1 base 60 (9:30 == 570) stays text, as in YAML 1.2
                return _SAFE.construct_yaml_int(node)
        if tag == _FLOAT:
            try:
                return float(value)
            except ValueError:
                if ":" in value:
                    return value
                return _SAFE.construct_yaml_float(node)
        if tag == _TIMESTAMP:
            return value  # dates stay text: no spec field takes a datetime
        self._unsupported(node)
        return value

    def _unsupported(self, node: Node) -> None:
        self.diagnostics.append(
            self._at(
                node,
                "unsupported-tag",
                f"unsupported YAML tag {node.tag}",
                hint="remove the `!tag`; only plain YAML values are understood",
            )
        )

    def _at(self, node: Node, code: str, message: str, hint: str | None = None) -> Diagnostic:
        mark = node.start_mark
        return Diagnostic(self.file, mark.line + 1, mark.column + 1, code, message, hint)


def _first_key(node: MappingNode, key: str) -> Node:
    for knode, _ in node.value:
        if knode.__class__ is ScalarNode and knode.value == key:
            return knode
    return node

"""Reading spec files: YAML documents as plain data, with a way back to file:line:col.

PyYAML's C parser composes each document into nodes that carry marks; we build
plain Python data from those nodes ourselves (faster than PyYAML's generic
constructor, and it lets us refuse duplicate keys and alias bombs) and keep the
node tree beside the data. A pydantic error `loc` such as
`("spec", "tools", 2)` is turned back into a position by walking that tree, so
positions cost nothing unless a diagnostic needs one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from aiagentics.spec.diagnostics import Diagnostic

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ALIAS_EXPANSION = 100_000  # nodes reached again through aliases, per document
SPEC_SUFFIXES = (".yaml", ".yml")

Loc = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SAFE = SafeConstructor()  # only for YAML 1.1's rarer int/float spellings (0x1f, 1_000, .inf)


@dataclass(slots=True, eq=False)
class SourceFile:
    """One spec file: its path, how to show it (relative to the project root) and its text."""

    path: Path
    display: str
    text: str
    _lines: list[str] | None = field(default=None, repr=False)

    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines


@dataclass(slots=True, eq=False)
class LocatedDocument:
    """One YAML document: plain `data`, where it starts, and (on demand) the node tree.

    The node tree is composed again from the file's text only when a position
    inside the document is asked for: keeping thousands of node trees alive
    would make the garbage collector, not the parser, the cost of a compile.
    """

    source: SourceFile
    index: int  # the document's position in the file's stream (empty documents count)
    data: dict[str, Any]
    line: int  # 1-based start of the document's mapping
    column: int
    has_env: bool = False
    _root: MappingNode | None = field(default=None, repr=False)

    @property
    def root(self) -> MappingNode:
        if self._root is None:
            self._root = _compose_again(self.source.text, self.index)
        return self._root

    @property
    def file(self) -> str:
        return self.source.display

    def node_at(self, loc: Loc) -> tuple[Node | None, Node, bool]:
        """(key node, value node, whether the whole `loc` was found) for a pydantic-style loc."""
        return node_at(self.root, loc)

    def position(self, loc: Loc, *, at: str = "auto") -> tuple[int, int]:
        """1-based (line, column) of `loc`: `at` is "key", "value" or "auto".

        "auto" points at a scalar value itself but at the key of a block
        mapping or sequence (whose value starts on a later line).
        """
        key, value, _ = node_at(self.root, loc)
        node = value
        if key is not None and (
            at == "key"
            or (at == "auto" and not isinstance(value, ScalarNode) and not value.flow_style)
        ):
            node = key
        return node.start_mark.line + 1, node.start_mark.column + 1

    def diagnostic(
        self, loc: Loc, code: str, message: str, hint: str | None = None, *, at: str = "auto"
    ) -> Diagnostic:
        line, column = self.position(loc, at=at)
        return Diagnostic(self.file, line, column, code, message, hint)


def node_at(root: Node, loc: Loc) -> tuple[Node | None, Node, bool]:
    """Walk `loc` down the node tree as far as it goes."""
    key: Node | None = None
    node = root
    for part in loc:
        if isinstance(node, MappingNode):
            wanted = str(part)
            found = None
            for knode, vnode in node.value:
                if isinstance(knode, ScalarNode) and knode.value == wanted:
                    found = (knode, vnode)  # the last one wins, as in the data
            if found is None:
                return key, node, False
            key, node = found
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            key, node = None, node.value[part]
        else:
            return key, node, False
    return key, node, True


def display_path(path: Path, root: Path) -> str:
    """`path` relative to the project root (POSIX separators) when inside it."""
    text, base = str(path), str(root)
    if text.startswith(base) and text[len(base) : len(base) + 1] == os.sep:
        return text[len(base) + 1 :].replace(os.sep, "/")  # the common case, without relpath's cost
    try:
        return (
            Path(os.path.relpath(path, root)).as_posix() if path.is_absolute() else path.as_posix()
        )
    except ValueError:  # another drive on Windows
        return path.as_posix()


def discover(root: Path, folders: Iterable[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Every *.yaml / *.yml file under the spec folders, sorted, each once; symlink loops reported."""
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()

    def walk(directory: Path, ancestors: frozenset[str]) -> None:
        real = os.path.realpath(directory)
        if real in ancestors:
            diagnostics.append(
                Diagnostic(
                    display_path(directory, root),
                    1,
                    1,
                    "symlink-loop",
                    "symlink loop: this folder leads back to one of its parents",
                    hint="remove the symlink or point it outside the spec folders",
                )
            )
            return
        if real in seen_dirs:
            return
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            diagnostics.append(
                Diagnostic(
                    display_path(directory, root),
                    1,
                    1,
                    "unreadable",
                    f"cannot read folder: {exc.strerror}",
                )
            )
            return
        inner = ancestors | {real}
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError:
                is_dir = is_file = False
            if is_dir:
                walk(path, inner)
            elif is_file and entry.name.endswith(SPEC_SUFFIXES):
                # the folder's real path is known: only a symlinked file needs resolving
                real_file = (
                    os.path.realpath(path) if entry.is_symlink() else os.path.join(real, entry.name)
                )
                if real_file not in seen_files:
                    seen_files.add(real_file)
                    files.append(path)
            elif entry.is_symlink() and not os.path.exists(path):
                if entry.name.endswith(SPEC_SUFFIXES):
                    diagnostics.append(
                        Diagnostic(
                            display_path(path, root),
                            1,
                            1,
                            "broken-symlink",
                            "symlink points at nothing",
                            severity="warning",
                        )
                    )
                else:
                    # a dangling link may be a loop (a -> b -> a): report what the OS says
                    try:
                        os.stat(path)
                    except OSError as exc:
                        if exc.errno == 40:  # ELOOP
                            diagnostics.append(
                                Diagnostic(
                                    display_path(path, root),
                                    1,
                                    1,
                                    "symlink-loop",
                                    "symlink loop: this link resolves to itself",
                                )
                            )

    for folder in folders:
        if folder.is_dir():
            walk(folder, frozenset())
        elif folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            diagnostics.append(
                Diagnostic(
                    display_path(folder, root),
                    1,
                    1,
                    "not-a-folder",
                    "spec path is not a folder (or is a broken or looping symlink)",
                )
            )
    return files, diagnostics


def read_source(path: Path, display: str) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Read a spec file as UTF-8 text, refusing huge files and invalid bytes with a diagnostic."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                Diagnostic(
                    display,
                    1,
                    1,
                    "file-too-large",
                    f"file is {size:,} bytes; spec files are limited to "
                    f"{MAX_FILE_BYTES // (1024 * 1024)} MB",
                    hint="split it, or keep large data in a File resource",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(display, 1, 1, "unreadable", f"cannot read file: {exc.strerror}")]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        return None, [
            Diagnostic(
                display,
                line,
                column,
                "invalid-utf8",
                f"not valid UTF-8: byte 0x{raw[exc.start]:02x} ({exc.reason})",
                hint="save the file as UTF-8",
            )
        ]
    return SourceFile(path, display, text), []


def parse_source(source: SourceFile) -> tuple[list[LocatedDocument], list[Diagnostic]]:
    """Every document of a file; a syntax error stops the file at that point."""
    documents: list[LocatedDocument] = []
    diagnostics: list[Diagnostic] = []
    text = source.text
    loader = yaml.CSafeLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if (
                isinstance(node, ScalarNode)
                and node.tag == _NULL
                and node.value in ("", "~", "null")
            ):
                continue  # an empty document (a stray `---`)
            if not isinstance(node, MappingNode):
                what = "a list" if isinstance(node, SequenceNode) else "a single value"
                diagnostics.append(
                    Diagnostic(
                        source.display,
                        node.start_mark.line + 1,
                        node.start_mark.column + 1,
                        "not-a-mapping",
                        f"a resource document must be a mapping, not {what}",
                        hint="start it with `apiVersion:`, `kind:`, `metadata:` and `spec:`",
                    )
                )
                continue
            builder = _Builder(source.display, aliases="&" in text)
            try:
                data = builder.build(node)
            except _Refused as exc:
                diagnostics.append(exc.diagnostic)
                continue
            except RecursionError:
                diagnostics.append(
                    Diagnostic(
                        source.display,
                        node.start_mark.line + 1,
                        1,
                        "too-deep",
                        "document nests too deeply",
                    )
                )
                continue
            diagnostics.extend(builder.diagnostics)
            mark = node.start_mark
            documents.append(
                LocatedDocument(
                    source, index - 1, data, mark.line + 1, mark.column + 1, builder.has_env
                )
            )
    except yaml.YAMLError as exc:
        diagnostics.append(_syntax_diagnostic(source, exc))
    finally:
        loader.dispose()
    return documents, diagnostics


def load_files(paths: Iterable[Path], root: Path) -> tuple[list[LocatedDocument], list[Diagnostic]]:
    """Read and parse many files; diagnostics of all of them together."""
    documents: list[LocatedDocument] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        source, problems = read_source(path, display_path(path, root))
        diagnostics.extend(problems)
        if source is not None:
            docs, problems = parse_source(source)
            documents.extend(docs)
            diagnostics.extend(problems)
    return documents, diagnostics


def _compose_again(text: str, index: int) -> MappingNode:
    loader = yaml.CSafeLoader(text)
    try:
        for _ in range(index + 1):
            loader.check_node()  # CParser needs it to step past the stream's start
            node = loader.get_node()
    finally:
        loader.dispose()
    assert isinstance(node, MappingNode)  # it was one when the document was first read
    return node


def _syntax_diagnostic(source: SourceFile, exc: yaml.YAMLError) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    else:
        position = getattr(exc, "position", 0) or 0
        line = source.text.count("\n", 0, position) + 1
        column = position - (source.text.rfind("\n", 0, position) + 1) + 1
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    hint = None
    if "tab" in str(problem):
        hint = "YAML does not allow tabs for indentation; indent with spaces"
    return Diagnostic(source.display, line, column, "yaml-syntax", message, hint)


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        self.diagnostic = diagnostic


class _Builder:
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
        cls = node.__class__
        if cls is ScalarNode:
            if node.tag == _STR:
                value = node.value
                if "${" in value:
                    self.has_env = True
                return value
            return self._scalar(node)
        if self.aliases:
            return self._build_counted(node)
        if cls is MappingNode:
            return self._mapping(node)
        if cls is SequenceNode:
            if node.tag != _SEQ:
                self._unsupported(node)
            build = self.build
            return [build(item) for item in node.value]
        raise _Refused(self._at(node, "unsupported-yaml", "unsupported YAML node"))

    def _build_counted(self, node: Node) -> Any:
        ident = id(node)
        if ident in self.stack:
            raise _Refused(self._at(node, "recursive-alias", "a YAML alias refers to itself"))
        if ident in self.seen:
            self.expanded += 1 + len(node.value)
            if self.expanded > MAX_ALIAS_EXPANSION:
                raise _Refused(
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
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() in ("true", "yes", "on", "y")
        if tag == _INT:
            try:
                return int(value)
            except ValueError:
                return _SAFE.construct_yaml_int(node)
        if tag == _FLOAT:
            try:
                return float(value)
            except ValueError:
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


def text_position(document: LocatedDocument, loc: Loc, offset: int) -> tuple[int, int]:
    """1-based (line, column) of character `offset` inside the string value at `loc`.

    Exact for literal block scalars (`|`) and single-line scalars; otherwise the
    start of the value (folding and escapes make the mapping approximate).
    """
    _, node, found = node_at(document.root, loc)
    mark = node.start_mark
    if not found or not isinstance(node, ScalarNode):
        return mark.line + 1, mark.column + 1
    value = node.value
    offset = max(0, min(offset, len(value)))
    if node.style == "|":
        line_index = mark.line + 1 + value.count("\n", 0, offset)
        lines = document.source.lines()
        indent = 0
        if line_index < len(lines):
            raw = lines[line_index]
            indent = len(raw) - len(raw.lstrip(" "))
        return line_index + 1, indent + offset - (value.rfind("\n", 0, offset) + 1) + 1
    if node.end_mark.line == mark.line:
        quote = 1 if node.style in ("'", '"') else 0
        return mark.line + 1, mark.column + 1 + quote + offset
    return mark.line + 1, mark.column + 1

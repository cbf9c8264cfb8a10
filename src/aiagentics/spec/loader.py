"""Reading spec files: YAML documents as plain data, with a way back to file:line:col.

PyYAML's C parser composes each document into nodes that carry marks; we build
plain Python data from those nodes ourselves (faster than PyYAML's generic
constructor, and it lets us refuse duplicate keys and alias bombs). A pydantic
error `loc` such as `("spec", "tools", 2)` is turned back into a position by
walking the document's node tree, composed again from the text only when a
diagnostic needs a position: positions cost nothing on the happy path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import CollectionNode, MappingNode, Node, ScalarNode, SequenceNode

from aiagentics.spec.diagnostics import Diagnostic
from aiagentics.spec.discovery import display_path
from aiagentics.spec.yaml_data import NULL_TAG, Builder, Refused

MAX_FILE_BYTES = 10 * 1024 * 1024

Loc = tuple[str | int, ...]


@dataclass(slots=True, eq=False)
class SourceFile:
    """One spec file: its path, how to show it (relative to the project root) and its text."""

    path: Path
    display: str
    text: str
    _lines: list[str] | None = field(default=None, repr=False)
    _roots: list[Node] | None = field(default=None, repr=False)

    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def root(self, index: int) -> MappingNode:
        """The node tree of document `index`, composed again (once per file) when first asked for."""
        if self._roots is None:
            self._roots = _compose_all(self.text)
        node = self._roots[index]
        assert isinstance(node, MappingNode)  # it was one when the document was first read
        return node


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
            self._root = self.source.root(self.index)
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
        mark = self._node(loc, at).start_mark
        return mark.line + 1, mark.column + 1

    def span(self, loc: Loc, *, at: str = "auto") -> tuple[int, int, int, int]:
        """1-based (line, column, end line, end column) of the node `position` points at."""
        node = self._node(loc, at)
        start, end = node.start_mark, node.end_mark
        return start.line + 1, start.column + 1, end.line + 1, end.column + 1

    def diagnostic(
        self, loc: Loc, code: str, message: str, hint: str | None = None, *, at: str = "auto"
    ) -> Diagnostic:
        line, column, end_line, end_column = self.span(loc, at=at)
        return Diagnostic(
            self.file, line, column, code, message, hint,
            end_line=end_line, end_column=end_column,
        )  # fmt: skip

    def _node(self, loc: Loc, at: str) -> Node:
        key, value, _ = node_at(self.root, loc)
        if key is not None and (
            at == "key"
            or (at == "auto" and isinstance(value, CollectionNode) and not value.flow_style)
        ):
            return key
        return value


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
        for node in _root_nodes(loader):
            index += 1
            if (
                isinstance(node, ScalarNode)
                and node.tag == NULL_TAG
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
            builder = Builder(source.display, aliases="&" in text)
            try:
                data = builder.build(node)
            except Refused as exc:
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


class ParseCache:
    """Parsed files kept between compiles (for `aia dev`): a file whose text is unchanged is not parsed again.

    Keyed by the file's text, not its mtime, so an edit within the clock's
    resolution is never missed; reading is cheap next to parsing.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[str, list[LocatedDocument], list[Diagnostic]]]
        self._entries = {}

    def parse(self, source: SourceFile) -> tuple[list[LocatedDocument], list[Diagnostic]]:
        """`parse_source(source)`, or its earlier result when the text is the same."""
        key = (str(source.path), source.display)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == source.text:
            return entry[1], entry[2]
        documents, diagnostics = parse_source(source)
        self._entries[key] = (source.text, documents, diagnostics)
        return documents, diagnostics

    def keep_only(self, paths: Iterable[Path]) -> None:
        """Forget files that are gone."""
        wanted = {str(p) for p in paths}
        for key in [k for k in self._entries if k[0] not in wanted]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


def load_files(
    paths: Iterable[Path], root: Path, cache: ParseCache | None = None
) -> tuple[list[LocatedDocument], list[Diagnostic]]:
    """Read and parse many files; diagnostics of all of them together."""
    documents: list[LocatedDocument] = []
    diagnostics: list[Diagnostic] = []
    paths = list(paths)
    for path in paths:
        source, problems = read_source(path, display_path(path, root))
        diagnostics.extend(problems)
        if source is not None:
            docs, problems = cache.parse(source) if cache is not None else parse_source(source)
            documents.extend(docs)
            diagnostics.extend(problems)
    if cache is not None:
        cache.keep_only(paths)
    return documents, diagnostics


def _root_nodes(loader: yaml.CSafeLoader) -> Iterator[Node]:
    """Each document's root node in turn; raises `yaml.YAMLError` at a syntax error."""
    while loader.check_node():
        node = loader.get_node()
        if node is not None:  # None only at the end of the stream, which check_node() ruled out
            yield node


def _compose_all(text: str) -> list[Node]:
    # every document up to the first syntax error (the documents before it are the ones we kept)
    nodes: list[Node] = []
    loader = yaml.CSafeLoader(text)
    try:
        nodes.extend(_root_nodes(loader))
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return nodes


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

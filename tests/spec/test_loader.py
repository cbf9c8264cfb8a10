"""The loader: every bad file becomes a diagnostic at the exact place, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.project_helpers import where

from aiagentics.compiler import compile_project
from aiagentics.project import load_project
from aiagentics.spec.discovery import discover
from aiagentics.spec.loader import MAX_FILE_BYTES, SourceFile, load_files, parse_source, read_source

AGENT = """
apiVersion: aiagentics.io/v1
kind: Agent
metadata:
  name: a
spec:
  model: scripted
"""


def parse(text: str) -> tuple[list, list]:
    return parse_source(SourceFile(Path("x.yaml"), "x.yaml", text))


def test_data_and_positions_of_nested_values() -> None:
    docs, diags = parse("a: 1\nb:\n  c: [x, {d: 2.5}]\n  e: true\n  f: null\n  g: 0x1f\n")
    assert diags == []
    doc = docs[0]
    assert doc.data == {"a": 1, "b": {"c": ["x", {"d": 2.5}], "e": True, "f": None, "g": 31}}
    assert doc.position(("b", "c", 1, "d")) == (3, 14)
    assert doc.position(("b",)) == (2, 1)  # a block mapping: its key
    assert doc.position(("b", "c")) == (3, 6)  # a flow sequence: the value
    assert doc.position(("b", "e"), at="key") == (4, 3)


def test_several_documents_and_empty_ones(compile_files) -> None:
    two = AGENT + "---\n---\n" + AGENT.replace("name: a", "name: b")
    result = compile_files({"agents/two.yaml": two})
    assert result.diagnostics == []
    assert [r.name for r in result.state.resources] == ["a", "b"]


def test_tabs_are_a_syntax_error_with_place(compile_files) -> None:
    result = compile_files(
        {"agents/a.yaml": "apiVersion: aiagentics.io/v1\nkind: Agent\n\tmetadata: {}\n"}
    )
    assert where(result) == [("agents/a.yaml", 3, 1, "yaml-syntax")]
    assert "tab" in result.diagnostics[0].hint


def test_syntax_error_points_at_the_problem(compile_files) -> None:
    result = compile_files({"tools/t.yaml": "a: [1, 2\nb: 3\n"})
    assert [d.code for d in result.diagnostics] == ["yaml-syntax"]
    assert result.diagnostics[0].line == 2


def test_invalid_utf8_names_line_and_column(compile_files) -> None:
    result = compile_files({"agents/a.yaml": b"apiVersion: v1\nkind: \xc3\xa9\xff\n"})
    assert where(result) == [("agents/a.yaml", 2, 8, "invalid-utf8")]
    assert "0xff" in result.diagnostics[0].message


def test_a_50_mb_file_is_refused_without_reading(make_project) -> None:
    root = make_project({"agents/ok.yaml": AGENT})
    with (root / "agents" / "big.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: the size is what matters
    assert MAX_FILE_BYTES < 50 * 1024 * 1024
    result = compile_project(load_project(root), environ={})
    assert where(result) == [("agents/big.yaml", 1, 1, "file-too-large")]
    assert "52,428,800 bytes" in result.diagnostics[0].message


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    docs, diags = parse("\n".join(lines) + "\n")
    assert docs == []
    assert [d.code for d in diags] == ["alias-bomb"]


def test_small_aliases_are_fine() -> None:
    docs, diags = parse("base: &b {x: 1}\nother: *b\nmerged:\n  <<: *b\n  y: 2\n")
    assert diags == []
    assert docs[0].data == {"base": {"x": 1}, "other": {"x": 1}, "merged": {"x": 1, "y": 2}}


def test_recursive_alias_is_refused() -> None:
    docs, diags = parse("a: &a [1, *a]\n")
    assert docs == [] and [(d.code, d.line, d.column) for d in diags] == [("recursive-alias", 1, 4)]


@pytest.mark.parametrize(
    ("text", "what"), [("- a\n- b\n", "a list"), ("just text\n", "a single value")]
)
def test_document_must_be_a_mapping(compile_files, text: str, what: str) -> None:
    result = compile_files({"agents/a.yaml": AGENT + "---\n" + text})
    assert where(result) == [("agents/a.yaml", 8, 1, "not-a-mapping")]
    assert what in result.diagnostics[0].message


def test_duplicate_key_names_both_lines() -> None:
    _, diags = parse("a: 1\nb: 2\na: 3\n")
    assert [(d.code, d.line, d.column) for d in diags] == [("duplicate-key", 3, 1)]
    assert "first at line 1" in diags[0].message


def test_unsupported_tag() -> None:
    _, diags = parse("a: !python/object x\n")
    assert [(d.code, d.line, d.column) for d in diags] == [("unsupported-tag", 1, 4)]


def test_non_scalar_key() -> None:
    _, diags = parse("? [a, b]\n: 1\n")
    assert [(d.code, d.line, d.column) for d in diags] == [("invalid-key", 1, 3)]


@pytest.mark.parametrize(("depth", "code"), [(600, "too-deep"), (5000, "yaml-syntax")])
def test_deep_nesting_is_a_diagnostic(depth: int, code: str) -> None:
    # libyaml refuses beyond 1000 levels; below that our builder's recursion guard answers
    docs, diags = parse("a: " + "[" * depth + "]" * depth + "\n")
    assert docs == [] and [d.code for d in diags] == [code]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_loop_in_spec_folder_is_reported_once(make_project) -> None:
    root = make_project({"agents/a.yaml": AGENT})
    (root / "agents" / "loop").symlink_to(root / "agents", target_is_directory=True)
    files, diags = discover(root, [root / "agents"])
    assert [p.name for p in files] == ["a.yaml"]
    assert [(d.file, d.code) for d in diags] == [("agents/loop", "symlink-loop")]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_self_referencing_symlink(make_project) -> None:
    root = make_project({"agents/a.yaml": AGENT})
    (root / "agents" / "me").symlink_to(root / "agents" / "me")
    _, diags = discover(root, [root / "agents"])
    assert [(d.file, d.code) for d in diags] == [("agents/me", "symlink-loop")]


def test_same_file_through_two_paths_is_loaded_once(make_project) -> None:
    root = make_project({"agents/a.yaml": AGENT})
    (root / "tools").mkdir()
    (root / "tools" / "link.yaml").symlink_to(root / "agents" / "a.yaml")
    files, _ = discover(root, [root / "agents", root / "tools"])
    docs, diags = load_files(files, root)
    assert len(docs) == 1 and diags == []


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    source, diags = read_source(path, "a.yaml")
    assert diags == [] and source is not None and parse_source(source)[0][0].data == {"a": 1}


def test_merge_of_a_non_mapping() -> None:
    _, diags = parse("a: &x [1]\nb:\n  <<: *x\n  c: 1\n")
    assert [(d.code, d.line, d.column) for d in diags] == [("invalid-merge", 3, 3)]


def test_alias_bomb_position_is_the_expanding_node() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    _, diags = parse("\n".join(lines) + "\n")
    (d,) = diags
    assert (d.file, d.line, d.column) == ("x.yaml", 1, 5)  # the anchor being expanded again
    assert "100,000" in d.message


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_broken_symlink_is_a_warning(make_project) -> None:
    root = make_project({"agents/a.yaml": AGENT})
    (root / "agents" / "gone.yaml").symlink_to(root / "nowhere.yaml")
    result = compile_project(load_project(root), environ={})
    assert where(result) == [("agents/gone.yaml", 1, 1, "broken-symlink")]
    assert result.ok  # a warning does not block


def test_spec_path_that_is_a_file(make_project) -> None:
    root = make_project({"agents": AGENT}, config="")
    result = compile_project(load_project(root), environ={})
    assert where(result) == [("agents", 1, 1, "not-a-folder")]


def test_positions_in_a_file_of_many_documents_are_found_once_per_file(compile_files) -> None:
    doc = (
        "apiVersion: aiagentics.io/v1\nkind: Tool\nmetadata: {{name: t{i}}}\nspec: {{type: nope}}\n"
    )
    result = compile_files({"tools/all.yaml": "---\n".join(doc.format(i=i) for i in range(300))})
    assert len(result.diagnostics) == 300
    assert [(d.line, d.column) for d in result.diagnostics[:2]] == [(4, 14), (9, 14)]
    assert (result.diagnostics[-1].line, result.diagnostics[-1].column) == (299 * 5 + 4, 14)


def test_yaml_1_2_scalars_where_1_1_surprises() -> None:
    docs, diags = parse("a: no\nb: on\nc: TRUE\nd: false\ne: 9:30\nf: y\ng: 1_000\nh: 0x10\n")
    assert diags == []
    assert docs[0].data == {
        "a": "no", "b": "on", "c": True, "d": False, "e": "9:30", "f": "y", "g": 1000, "h": 16,
    }  # fmt: skip

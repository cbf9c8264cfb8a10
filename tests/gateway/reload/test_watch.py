"""What `aia dev` watches, and which changes it lets through."""

from __future__ import annotations

from pathlib import Path

import watchfiles

from aiagentics.gateway.reload.watch import ProjectFilter, watch_set
from aiagentics.project import load_project


def _project(root: Path):  # type: ignore[no-untyped-def]
    (root / "agents").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "docs").mkdir()
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "aiagentics.toml").write_text('[project]\nname = "w"\n')
    return load_project(root)


def test_only_the_inputs_are_watched_never_the_whole_tree(tmp_path: Path) -> None:
    project = _project(tmp_path)
    ws = watch_set(project, frozenset({(tmp_path / "docs" / "faq.md").resolve()}))
    root = tmp_path.resolve()
    # tools/ memory/ webhooks/ do not exist: the root watch sees them appear.
    assert ws.deep == (root / "agents", root / "templates")
    assert ws.shallow == (root, root / "docs")


def test_filter_passes_specs_templates_config_and_file_inputs_only(tmp_path: Path) -> None:
    project = _project(tmp_path)
    f = ProjectFilter(project)
    f.inputs = frozenset({(tmp_path / "docs" / "faq.md").resolve()})
    root = tmp_path.resolve()
    added = watchfiles.Change.added
    for path in (
        "agents/a.yaml",
        "agents/sub/b.yml",
        "templates/base.j2",
        "aiagentics.toml",
        "docs/faq.md",
        "agents",
    ):
        assert f(added, str(root / path)), path
    for path in (
        "agents/.a.yaml.swp",
        "agents/a.yaml~",
        "agents/4913",
        "agents/.#a.yaml",
        "agents/notes.txt",
        "docs/other.md",
        "README.md",
    ):
        assert not f(added, str(root / path)), path

"""Mutated spec files give diagnostics with a place, never an exception (seeded, so reproducible)."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from aiagentics.compiler import compile_project
from aiagentics.project import load_project

REPO = Path(__file__).resolve().parents[2]
SEEDS = int(os.environ.get("AIA_FUZZ_SEEDS", "8"))  # more locally: AIA_FUZZ_SEEDS=200
FOLDERS = ("agents", "tools", "memory", "webhooks", "templates")
SNIPPETS = ["\t", "{", "}", "[", "]", ":", ": ", "&a ", "*a", "!!", "${", "${X}", "{{", "}}",
            "{% if %}", "\n", "\n  ", "- ", "---\n", "'", '"', "<<: ", "\x00", "é", "#", "|\n"]  # fmt: skip


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        choice = rng.random()
        if choice < 0.4:
            text = text[:at] + rng.choice(SNIPPETS) + text[at:]
        elif choice < 0.7:
            text = text[:at] + text[at + rng.randint(1, 8) :]
        else:  # swap two lines
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


@pytest.mark.parametrize("seed", range(SEEDS))
def test_mutated_example_project_never_raises(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    root = tmp_path / "p"
    root.mkdir()
    shutil.copy(REPO / "aiagentics.toml", root)
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, root / folder)
    files = sorted(p for folder in FOLDERS for p in (root / folder).iterdir())
    originals = {p: p.read_text(encoding="utf-8") for p in files}
    project = load_project(root)
    for _ in range(40):
        victim = rng.choice(files)
        victim.write_text(mutate(originals[victim], rng), encoding="utf-8")
        result = compile_project(project, environ={})
        for d in result.diagnostics:
            assert d.line >= 1 and d.column >= 1 and d.message and d.code
            assert (root / d.file).exists(), d
        assert (result.state is None) == any(d.severity == "error" for d in result.diagnostics)
        victim.write_text(originals[victim], encoding="utf-8")

"""The real `aia` against a real `aia serve`: errors, pipes, runs, targets, export."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.conftest import AIA
from tests.e2e.plan_helpers import tool, write_project
from tests.e2e.runs_helpers import RunWorld, create, start_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunWorld]:
    yield from start_world(tmp_path_factory.mktemp("cli"))


def aia(
    world: RunWorld, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "AIAGENTICS_API_KEY": world.gateway.api_key,
        "AIAGENTICS_BASE_URL": world.gateway.base_url,
        **(env or {}),
    }
    return subprocess.run(
        [AIA, *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def test_plan_out_into_a_closed_pipe_still_saves_the_plan(world: RunWorld, tmp_path: Path) -> None:
    files = {f"tools/t{n}.yaml": tool(name=f"t{n}") for n in range(40)}
    project = write_project(tmp_path / "p", name="piped", **files)
    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": world.gateway.api_key,
        "AIAGENTICS_BASE_URL": world.gateway.base_url,
    }
    done = subprocess.run(
        f"'{AIA}' plan --out p.out | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert (project / "p.out").is_file(), done.stderr
    shown = aia(world, "apply", "p.out", cwd=project)
    assert shown.returncode == 0, shown.stderr


def test_a_failed_run_shows_bracketed_text_as_is(world: RunWorld, tmp_path: Path) -> None:
    with world.client() as client:
        create(client, "agents", {"name": "unrouted", "model": "local/llama"})
    result = aia(world, "run", "unrouted", "hi", cwd=tmp_path)
    assert result.returncode == 1
    assert "[providers.local]" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_gateway_that_is_not_there_is_one_error_with_a_hint(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AIAGENTICS_API_KEY": "sk_x",
        "AIAGENTICS_BASE_URL": "http://127.0.0.1:9/v1",
    }
    done = subprocess.run(
        [AIA, "runs", "get", "run_x"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: cannot reach the API at http://127.0.0.1:9/v1")
    assert lines[1].startswith("hint: is the gateway running")
